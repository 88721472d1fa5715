"""Urgency as a learned decision with levels: `urgent` (life, or many people, in danger now), `high`
(a hazard to remove quickly) or `normal`, and for an urgent report the emergency services to bring
in at once.

One multinomial logistic regression reads the report the way the category classifier does (jieba
words and word pairs, character n-grams, the sentence embedding, all in context, so 打桩 is not 打人
and 火爆 is not 火情), plus the policy's life-safety patterns (with their negations) and the mass the
classifier puts on urgent-by-default and high-by-default categories, as features rather than
verdicts. It learns from the knowledge base's `urgency_examples.yaml` and, as `normal`, from the
examples of its normal and low categories. One logistic head per emergency service, over the same
features, learns which services an urgent report needs from the examples' `call` labels and the
categories' `emergency` lists. The trained model is cached per knowledge base, like the classifier."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

from classifiers.category import CategoryClassifier
from classifiers.embedders import Embedder
from classifiers.embedders.base import default_cache_dir
from classifiers.supervised import SupervisedModel
from classifiers.text import STOPWORDS, Tokenizer, normalize
from core.component import LoadOnce
from core.messages import message
from core.settings import UrgencySettings
from core.types import Classification, Emergency, EmergencyCall, Urgency, UrgencyLevel, UrgencySignal
from knowledge.loader import KnowledgeBase

FIT_VERSION = 1
LEVELS: tuple[UrgencyLevel, ...] = ("urgent", "high", "normal")
_NEGATION_WINDOW = 6
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9'’,.;:!?()\- ]*[A-Za-z.!?)]|[A-Za-z]")  # a passage in Latin letters
_CJK = re.compile(r"[\u4e00-\u9fff]")
_MIN_CHINESE = 8  # Chinese characters a report needs before its Latin passages are set aside


@dataclass
class UrgencyModel:
    levels: SupervisedModel
    services: list[str]
    service_coef: np.ndarray  # services × features
    service_intercept: np.ndarray

    def save(self, directory: Path) -> None:
        self.levels.save(directory)
        np.savez(directory / "services.npz", coef=self.service_coef, intercept=self.service_intercept)
        (directory / "services.json").write_text(json.dumps(self.services), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> UrgencyModel:
        arrays = np.load(directory / "services.npz", allow_pickle=False)
        services = json.loads((directory / "services.json").read_text(encoding="utf-8"))
        return cls(SupervisedModel.load(directory), [str(s) for s in services], arrays["coef"], arrays["intercept"])


@dataclass(frozen=True)
class _Example:
    text: str
    level: UrgencyLevel
    calls: tuple[str, ...] = ()


class UrgencyDetector(LoadOnce):
    def __init__(self, kb: KnowledgeBase, embedder: Embedder, tokenizer: Tokenizer, classifier: CategoryClassifier,
                 text_filter: Callable[[str], str] | None = None, settings: UrgencySettings | None = None,
                 embed_max_chars: int = 256, holdout: frozenset[str] = frozenset()) -> None:
        """`holdout`: labelled reports (by `source`, "file:id") left out of training, so an evaluation
        of the dataset they come from is cross-validated."""
        super().__init__()
        self.kb, self.embedder, self.tokenizer, self.classifier = kb, embedder, tokenizer, classifier
        self.holdout = holdout
        self.text_filter = text_filter or (lambda text: text)
        self.settings = settings or UrgencySettings()
        self.embed_max_chars = embed_max_chars
        self.model: UrgencyModel | None = None
        self._signals: list[tuple[str, str, re.Pattern[str]]] = []
        self._negations: tuple[str, ...] = ()

    # ---- loading ---------------------------------------------------------------------------------
    def _load(self) -> None:
        spec = self.kb.policy.urgency
        self._signals = [(s.id, s.label, re.compile("|".join(f"(?:{p})" for p in s.patterns))) for s in spec.signals]
        self._negations = tuple(spec.negations)
        self._urgent_leaves = np.array([leaf.priority == "urgent" for leaf in self.kb.leaves.values()])
        self._high_leaves = np.array([leaf.priority == "high" for leaf in self.kb.leaves.values()])
        self._leaf_index = {leaf_id: i for i, leaf_id in enumerate(self.kb.leaves)}
        self.classifier.warm_up()
        examples = self.training_examples()
        cache = self._cache_dir(examples)
        if (cache / "services.json").exists():
            self.model = UrgencyModel.load(cache)
            return
        self.model = self._train(examples)
        try:
            tmp = cache.with_name(cache.name + ".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            self.model.save(tmp)
            tmp.replace(cache)
        except OSError:
            pass  # a read-only cache only costs start-up time

    def training_examples(self) -> list[_Example]:
        """The urgency examples and the labelled datasets they name, with their levels; the examples of
        normal and low categories as `normal`, and of urgent categories with emergency services as
        `urgent` (they teach the service heads too)."""
        kb, out = self.kb, []
        if kb.urgency_examples is not None:
            for level in LEVELS:
                for example in getattr(kb.urgency_examples, level):
                    out.append(_Example(example.text, level, example.call))
        out.extend(_Example(row.text, row.level, row.call) for row in kb.urgency_labelled
                   if row.source not in self.holdout)
        for leaf in kb.leaves.values():
            if leaf.id == kb.policy.photo_only_category:
                continue
            if leaf.priority in ("normal", "low"):
                out.extend(_Example(text, "normal") for text in leaf.examples)
            elif leaf.priority == "urgent" and leaf.emergency:
                out.extend(_Example(text, "urgent", leaf.emergency) for text in leaf.examples)
        if len({e.level for e in out}) < len(LEVELS):
            raise ValueError(f"the knowledge base {kb.directory} has no urgency examples for every level "
                             f"({', '.join(LEVELS)}): add urgency_examples.yaml")
        return out

    def _cache_dir(self, examples: list[_Example]) -> Path:
        key = json.dumps([FIT_VERSION, self.embedder.identity, self.embed_max_chars, self.kb.digest,
                          self.settings.c, self.settings.embedding_weight,
                          [(e.text, e.level, e.calls) for e in examples]])
        return default_cache_dir() / "urgency" / hashlib.sha256(key.encode()).hexdigest()[:32]

    def _train(self, examples: list[_Example]) -> UrgencyModel:
        texts = [normalize(e.text) for e in examples]
        contents = [self.text_filter(t) for t in texts]
        vectors = self.embedder.embed_cached([c[: self.embed_max_chars] for c in contents])
        extra = np.vstack([self._extra(t, c, v) for t, c, v in zip(texts, contents, vectors, strict=True)])
        levels = SupervisedModel.train(contents, [e.level for e in examples], self.embedder, self.tokenizer,
                                       c=self.settings.c, embedding_weight=self.settings.embedding_weight,
                                       embed_max_chars=self.embed_max_chars, vectors=vectors, extra=extra,
                                       class_weight="balanced")
        x = levels.features(contents, vectors, self.tokenizer, extra)
        services = [s.id for s in self.kb.policy.emergency_services]
        coef = np.zeros((len(services), x.shape[1]))
        intercept = np.full(len(services), -10.0)
        from sklearn.linear_model import LogisticRegression  # training only: prediction is numpy

        for i, service in enumerate(services):
            y = np.array([service in e.calls for e in examples])
            if y.any() and not y.all():
                head = LogisticRegression(C=self.settings.c, max_iter=2000, class_weight="balanced").fit(x, y)
                coef[i], intercept[i] = head.coef_[0], head.intercept_[0]
        return UrgencyModel(levels, services, coef, intercept)

    # ---- features --------------------------------------------------------------------------------
    def signals(self, text: str) -> list[UrgencySignal]:
        """The policy's life-safety patterns found in `text`, unless a negation stands just before."""
        found = []
        for signal_id, label, pattern in self._signals:
            for m in pattern.finditer(text):
                before = text[max(0, m.start() - _NEGATION_WINDOW) : m.start()]
                if any(n in before for n in self._negations):
                    continue
                found.append(UrgencySignal(id=signal_id, label=label, matched=m.group(0)))
                break
        return found

    def _extra(self, text: str, content: str, vector: np.ndarray,
               classification: Classification | None = None) -> np.ndarray:
        """Signals found (one column per signal), a resolution phrase, and the classifier's mass on
        urgent-by-default and high-by-default categories."""
        found = {s.id for s in self.signals(text)}
        resolved = any(w in text for w in self.kb.policy.urgency.resolved)
        probs = self._leaf_probabilities(content, vector, classification)
        return np.array([*(float(sid in found) for sid, _, _ in self._signals), float(resolved),
                         float(probs @ self._urgent_leaves), float(probs @ self._high_leaves)])

    def _leaf_probabilities(self, content: str, vector: np.ndarray,
                            classification: Classification | None) -> np.ndarray:
        classification = classification or self.classifier.classify_vector(content, vector)
        probs = np.zeros(len(self._leaf_index))
        for alt in classification.alternatives:
            probs[self._leaf_index[alt.category.id]] = alt.probability
        return probs

    # ---- deciding --------------------------------------------------------------------------------
    def run(self, text: str, content: str, vector: np.ndarray, classification: Classification) -> Urgency:
        """`text`: the report as matched (normalised); `content`: without places and greetings, as the
        classifier read it; `vector`: its embedding."""
        self.warm_up()
        assert self.model is not None
        s, kb = self.settings, self.kb
        chinese = _LATIN_RUN.sub(" ", content).strip()
        if chinese != content.strip() and len(_CJK.findall(chinese)) >= _MIN_CHINESE:
            # The model learned from Chinese: in a Chinese report, Latin-letter passages (an English
            # aside, an injected instruction) are out of what it knows and are not read.
            text, content = _LATIN_RUN.sub(" ", text).strip(), chinese
            vector = self.embedder.embed_one(content[: self.embed_max_chars])
            classification = self.classifier.classify_vector(content, vector)
        extra = self._extra(text, content, vector, classification)[None, :]
        x = self.model.levels.features([content], vector[None, :], self.tokenizer, extra)
        logits = self.model.levels.logits_of(x)[0]
        p = np.exp(logits - logits.max())
        p /= p.sum()
        prob = {label: float(v) for label, v in zip(self.model.levels.labels, p, strict=True)}
        level: UrgencyLevel = ("urgent" if prob["urgent"] >= s.urgent_threshold else
                               "high" if prob["urgent"] + prob["high"] >= s.high_threshold else "normal")
        signals = tuple(self.signals(text))
        leaf = kb.leaves[classification.category.id]
        default = "high" if leaf.priority == "urgent" else leaf.priority
        priority = "urgent" if level == "urgent" else "high" if level == "high" else default
        evidence = self._evidence(x, self.model.levels.labels.index(level))
        emergency = self._emergency(x, signals, classification) if level == "urgent" else None
        why = "、".join(evidence) or leaf.name
        reason = (message("urgency.urgent", why=why, p=round(prob["urgent"], 2)) if level == "urgent" else
                  message("urgency.high", why=why, p=round(prob["urgent"] + prob["high"], 2)) if level == "high"
                  else message("urgency.category_default", category=leaf.name))
        return Urgency(level=level, urgent=level == "urgent", priority=priority,
                       probabilities={k: round(v, 4) for k, v in prob.items()}, signals=signals,
                       evidence=tuple(evidence), reason=reason, emergency=emergency)

    def _evidence(self, x: csr_matrix, row: int) -> list[str]:
        """The words and signals that weighed most for the level (embedding dimensions are not words)."""
        assert self.model is not None
        if self.settings.evidence_terms == 0:
            return []
        names = self._names()
        weights = x.multiply(self.model.levels.coef[row]).tocsr()
        ranked = sorted(zip(weights.indices, weights.data, strict=True), key=lambda kv: -kv[1])
        out: list[str] = []
        for j, w in ranked:
            name = names[j]
            if w <= 0 or not name or name in out or any(name in o or o in name for o in out):
                continue
            out.append(name)
            if len(out) == self.settings.evidence_terms:
                break
        return out

    def _names(self) -> list[str]:
        """Readable names of the input columns: jieba words (and word pairs, joined) and the policy's
        signals; character n-grams and embedding dimensions are weighed but not shown as reasons."""
        if not hasattr(self, "_feature_names"):
            assert self.model is not None
            levels = self.model.levels
            raw = levels.feature_names()
            words = len(levels.word_vocabulary)
            extras = [label for _, label, _ in self._signals] + ["", "", ""]
            names = []
            for j, name in enumerate(raw):
                if name.startswith("extra["):
                    names.append(extras[int(name[6:-1])])
                elif j < words and len(name.replace("_", "")) >= 2 and not set(name.split("_")) & STOPWORDS:
                    names.append(name.replace("_", ""))
                else:
                    names.append("")
            self._feature_names = names
        return self._feature_names

    def _emergency(self, x: csr_matrix, signals: tuple[UrgencySignal, ...],
                   classification: Classification) -> Emergency | None:
        assert self.model is not None
        kb, s = self.kb, self.settings
        scores = 1 / (1 + np.exp(-(np.asarray(x @ self.model.service_coef.T)[0] + self.model.service_intercept)))
        wanted = {service for service, p in zip(self.model.services, scores, strict=True)
                  if p >= s.service_threshold}
        by_signal = {sig.id: sig for sig in kb.policy.urgency.signals}
        for found in signals:
            wanted |= set(by_signal[found.id].call)
        if classification.confidence >= s.category_confidence:
            wanted |= set(kb.leaves[classification.category.id].emergency)
        services = [svc for svc in kb.policy.emergency_services if svc.id in wanted]
        if not services:
            return None
        script = list(dict.fromkeys(line for svc in services for line in svc.script))
        return Emergency(call=tuple(EmergencyCall(id=svc.id, name=svc.name, number=svc.number) for svc in services),
                         script=tuple(script))


def describe(urgency: Urgency) -> dict[str, Any]:
    """The urgency as the JSON API and the CLI show it: level, priority, reason (code and text)."""
    return {"level": urgency.level, "priority": urgency.priority, "reason": urgency.reason.public(),
            "evidence": list(urgency.evidence), "probabilities": urgency.probabilities}
