"""Category classifier: lexical evidence (TF-IDF over jieba words and word pairs, character n-grams,
the categories' keywords) and the dense sentence embedding in one multinomial logistic regression,
learned from the taxonomy's example reports and each category's profile (name, description,
keywords), or from a trained model directory. Probabilities are calibrated by a temperature fitted
on examples held out from a first fit, so a confidence of 0.9 means about nine in ten right."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from classifiers.embedders import Embedder
from classifiers.embedders.base import default_cache_dir
from classifiers.supervised import SupervisedModel
from classifiers.text import Tokenizer, normalize
from core.component import LoadOnce
from core.messages import lookup
from core.types import CategoryRef, CategoryScore, Classification
from knowledge.loader import KnowledgeBase

FIT_VERSION = 2  # bump when training changes, so cached models are not reused


def training_set(kb: KnowledgeBase, text_filter: Callable[[str], str]) -> tuple[list[str], list[str], list[bool]]:
    """The knowledge base's examples and one profile text per category; `held` marks two examples
    per category that the calibration fit leaves out. The photo-only category is the pipeline's to
    give (when nothing in a report can be read), never the classifier's: a report that says "see the
    photo" and a sign read in the photo must be classified by the sign."""
    texts, labels, held = [], [], []
    for leaf in kb.leaves.values():
        if leaf.id == kb.policy.photo_only_category:
            continue
        for i, example in enumerate(leaf.examples):
            texts.append(text_filter(normalize(example)))
            labels.append(leaf.id)
            held.append(i % 3 == 2)
        texts.append(normalize(" ".join([leaf.name, leaf.description, *leaf.keywords])))
        labels.append(leaf.id)
        held.append(False)
    return texts, labels, held


class CategoryClassifier(LoadOnce):
    def __init__(self, kb: KnowledgeBase, embedder: Embedder, tokenizer: Tokenizer,
                 text_filter: Callable[[str], str] | None = None, embed_max_chars: int = 256,
                 model_dir: str | None = None, top_k: int = 5) -> None:
        """`text_filter` removes what must not decide the category (the pipeline strips place names
        and greetings); the dense vector reads the first `embed_max_chars` characters. `model_dir`
        is a model trained by `gridtriage train` on this knowledge base's categories."""
        super().__init__()
        self.kb, self.embedder, self.tokenizer = kb, embedder, tokenizer
        self.text_filter = text_filter or (lambda text: text)
        self.embed_max_chars, self.model_dir, self.top_k = embed_max_chars, model_dir, top_k
        self.model: SupervisedModel | None = None
        self.fit_report: dict[str, float] = {}

    def _load(self) -> None:
        if self.model_dir:
            model = SupervisedModel.load(self.model_dir)
            unknown = sorted(set(model.labels) - set(self.kb.leaves))
            if unknown:
                raise ValueError(lookup("model.foreign_labels", dir=self.model_dir, labels="、".join(unknown[:5])))
            if model.embedder_identity != self.embedder.identity:
                raise ValueError(lookup("model.other_embedder", dir=self.model_dir,
                                        trained=model.embedder_identity, current=self.embedder.identity))
            self._use(model)
            return
        texts, labels, held = training_set(self.kb, self.text_filter)
        cache = self._cache_dir(texts, labels)
        if (cache / "model.json").exists():
            self._use(SupervisedModel.load(cache))
            return
        self._use(train_calibrated(texts, labels, held, self.embedder, self.tokenizer, self.embed_max_chars))
        try:
            tmp = cache.with_name(cache.name + ".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            assert self.model is not None
            self.model.save(tmp)
            tmp.replace(cache)
        except OSError:
            pass  # a read-only cache only costs start-up time

    def _use(self, model: SupervisedModel) -> None:
        self.model = model
        self.fit_report = {k: float(v) for k, v in model.info.items() if isinstance(v, int | float)}
        self._keywords = {
            leaf.id: tuple({normalize(k) for k in (*leaf.keywords, leaf.name) if len(k) >= 2})
            for leaf in self.kb.leaves.values()
        }

    def _cache_dir(self, texts: list[str], labels: list[str]) -> Path:
        key = json.dumps([FIT_VERSION, self.embedder.identity, self.embed_max_chars, texts, labels])
        return default_cache_dir() / "classifier" / hashlib.sha256(key.encode()).hexdigest()[:32]

    def classify_vector(self, text: str, vector: np.ndarray) -> Classification:
        """Classify filtered, normalised text whose embedding the caller already has (the tokenizer
        caches by text, so the router's tokens are not cut twice)."""
        self.warm_up()
        assert self.model is not None
        probs = self.model.predict_proba([text], vector[None, :], self.tokenizer)[0]
        order = np.argsort(-probs)[: self.top_k]
        alternatives = tuple(
            CategoryScore(category=self.category_ref(self.model.labels[i]), probability=round(float(probs[i]), 4),
                          evidence={"keywords": float(sum(w in text for w in self._keywords[self.model.labels[i]]))})
            for i in order
        )
        best = self.model.labels[order[0]]
        return Classification(
            category=alternatives[0].category, confidence=alternatives[0].probability,
            alternatives=alternatives, matched_keywords=tuple(w for w in self._keywords[best] if w in text),
        )

    def classify(self, text: str) -> Classification:
        text = self.text_filter(normalize(text))
        return self.classify_vector(text, self.embedder.embed_one(text[: self.embed_max_chars]))

    def category_ref(self, leaf_id: str) -> CategoryRef:
        leaf, parent = self.kb.leaves[leaf_id], self.kb.parent_of(leaf_id)
        return CategoryRef(id=leaf.id, name=leaf.name, parent=parent.id, parent_name=parent.name)


def train_calibrated(texts: list[str], labels: list[str], held: list[bool], embedder: Embedder,
                     tokenizer: Tokenizer, embed_max_chars: int = 256) -> SupervisedModel:
    """Fit on the texts not held out, choose the temperature that makes the held-out predictions
    best calibrated (lowest log-loss), then fit on everything with that temperature."""
    fit = [i for i, h in enumerate(held) if not h]
    out = [i for i, h in enumerate(held) if h]
    vectors = embedder.embed_cached([t[:embed_max_chars] for t in texts])
    temperature, holdout_accuracy = 1.0, float("nan")
    if out and len({labels[i] for i in fit}) > 1:
        # the calibration fit only has to rank well enough to set one number: a looser tolerance
        first = SupervisedModel.train([texts[i] for i in fit], [labels[i] for i in fit], embedder, tokenizer,
                                      embed_max_chars=embed_max_chars, vectors=vectors[fit], tol=1e-3)
        logits = first.logits([texts[i] for i in out], vectors[out], tokenizer)
        index = {label: j for j, label in enumerate(first.labels)}
        gold = np.array([index.get(labels[i], -1) for i in out])
        known = gold >= 0
        logits, gold = logits[known], gold[known]
        holdout_accuracy = float((logits.argmax(axis=1) == gold).mean())

        def nll(t: float) -> float:
            z = logits / t
            z = z - z.max(axis=1, keepdims=True)
            return float(-(z[np.arange(len(gold)), gold] - np.log(np.exp(z).sum(axis=1))).mean())

        from scipy.optimize import minimize_scalar  # training only

        temperature = float(minimize_scalar(nll, bounds=(0.05, 5.0), method="bounded").x)
    model = SupervisedModel.train(texts, labels, embedder, tokenizer, embed_max_chars=embed_max_chars,
                                  vectors=vectors)
    model.temperature = temperature
    model.info.update({"temperature": temperature, "holdout_accuracy": holdout_accuracy,
                       "held_out": len(out)})
    return model
