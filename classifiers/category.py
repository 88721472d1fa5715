"""Category classifier: lexical evidence (BM25 over jieba tokens, keyword hits) fused with dense
similarity to the taxonomy's example reports, with weights fitted so the softmax is calibrated."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.sparse import csc_matrix

from agent.types import CategoryRef, CategoryScore, Classification
from classifiers.bm25 import BM25
from classifiers.embedders import Embedder
from classifiers.embedders.base import default_cache_dir
from classifiers.text import Tokenizer, char_ngrams, normalize
from knowledge.loader import KnowledgeBase

FIT_VERSION = 1  # bump when the feature computation changes, so cached fits are not reused
FEATURES = ("dense_max", "dense_top2", "centroid", "bm25_examples", "bm25_profile", "keywords", "bigrams")


@dataclass(frozen=True)
class _Query:
    vector: np.ndarray
    tokens: list[str]
    text: str
    bigrams: set[str]


class CategoryClassifier:
    def __init__(self, kb: KnowledgeBase, embedder: Embedder, tokenizer: Tokenizer,
                 text_filter: Callable[[str], str] | None = None, embed_max_chars: int = 256,
                 top_k: int = 5, l2: float = 0.01) -> None:
        """`text_filter` removes what must not decide the category (the pipeline strips place names);
        the dense vector sees the first `embed_max_chars` characters, the lexical features all of it."""
        self.embed_max_chars = embed_max_chars
        self.kb, self.embedder, self.tokenizer = kb, embedder, tokenizer
        self.text_filter = text_filter or (lambda text: text)
        self.top_k, self.l2 = top_k, l2
        self.weights: np.ndarray | None = None
        self.fit_report: dict[str, float] = {}

    # ---- building -------------------------------------------------------------------------
    def warm_up(self) -> None:
        if self.weights is not None:
            return
        kb = self.kb
        self.leaf_ids = list(kb.leaves)
        self._leaf_index = {leaf_id: i for i, leaf_id in enumerate(self.leaf_ids)}
        texts, owners = [], []
        for i, leaf_id in enumerate(self.leaf_ids):
            leaf = kb.leaves[leaf_id]
            for example in leaf.examples:
                texts.append(self.text_filter(normalize(example)))
                owners.append(i)
        self._example_owner = np.array(owners)
        self._example_vectors = self.embedder.embed_cached([t[: self.embed_max_chars] for t in texts])
        self._examples_bm25 = BM25([self.tokenizer.tokens(t) for t in texts])
        self._example_bigrams = [char_ngrams(t) for t in texts]
        self._bigram_ids: dict[str, int] = {}
        rows, cols = [], []
        for j, grams in enumerate(self._example_bigrams):
            for g in grams:
                rows.append(j)
                cols.append(self._bigram_ids.setdefault(g, len(self._bigram_ids)))
        self._bigram_matrix = csc_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(texts), len(self._bigram_ids))
        )
        self._bigram_sizes = np.array([len(g) for g in self._example_bigrams], dtype=np.float32)
        centroids = np.stack([self._example_vectors[self._example_owner == i].mean(axis=0)
                              for i in range(len(self.leaf_ids))])
        self._centroids = centroids / np.linalg.norm(centroids, axis=1, keepdims=True)
        profiles = [
            normalize(" ".join([leaf.name, leaf.description, *leaf.keywords, *leaf.keywords]))
            for leaf in (kb.leaves[i] for i in self.leaf_ids)
        ]
        self._profile_bm25 = BM25([self.tokenizer.tokens(p) for p in profiles])
        self._keywords = [
            tuple({normalize(k) for k in (kb.leaves[i].keywords + (kb.leaves[i].name,)) if len(k) >= 2})
            for i in self.leaf_ids
        ]
        self._member = np.zeros((len(self.leaf_ids), len(texts)), dtype=bool)
        self._member[self._example_owner, np.arange(len(texts))] = True
        # each leaf's example indices in a padded row (padding points at a sentinel slot)
        width = int(self._member.sum(axis=1).max())
        self._slots = np.full((len(self.leaf_ids), width), len(texts), dtype=np.int64)
        for i in range(len(self.leaf_ids)):
            own = np.flatnonzero(self._member[i])
            self._slots[i, : len(own)] = own
        cache = self._fit_cache_path(texts)
        if cache.exists():
            saved = json.loads(cache.read_text(encoding="utf-8"))
            self.weights, self.fit_report = np.array(saved["weights"]), saved["fit_report"]
        else:
            weights = self._fit_on_examples(texts)
            _write_atomically(cache, json.dumps({"weights": weights.tolist(), "fit_report": self.fit_report}))

    def _fit_cache_path(self, texts: list[str]) -> Path:
        """The fit depends only on the (filtered) examples, their labels, the embedder, the feature
        code and these settings: a change to any of them gives a new key."""
        key = json.dumps([FIT_VERSION, FEATURES, self.embedder.identity, self.embed_max_chars, self.l2,
                          self.leaf_ids, self._example_owner.tolist(), texts, self.kb.digest])
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        return default_cache_dir() / "classifier" / f"{digest}.json"

    def _fit_on_examples(self, texts: list[str]) -> np.ndarray:
        """Leave-one-out over the taxonomy's own examples: each example is scored against the
        others and the fusion weights maximise the likelihood of its true category."""
        feats, gold = [], []
        for j, text in enumerate(texts):
            q = _Query(self._example_vectors[j], self.tokenizer.tokens(text), text, self._example_bigrams[j])
            feats.append(self._features(q, exclude=j))
            gold.append(self._example_owner[j])
        x = np.stack(feats)  # (n_examples, n_leaves, n_features)
        y = np.array(gold)

        def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
            logits = x @ w
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
            n = len(y)
            nll = -np.log(p[np.arange(n), y] + 1e-12).mean() + self.l2 * float(w @ w)
            expected = np.einsum("nl,nlf->nf", p, x)
            grad = (expected - x[np.arange(n), y]).mean(axis=0) + 2 * self.l2 * w
            return float(nll), grad

        start = np.ones(len(FEATURES))
        result = minimize(loss, start, jac=True, method="L-BFGS-B")
        self.weights = result.x
        probs = _softmax(x @ result.x)
        top3 = np.argsort(-probs, axis=1)[:, :3]
        self.fit_report = {
            "loo_accuracy": float((probs.argmax(axis=1) == y).mean()),
            "loo_top3_accuracy": float((top3 == y[:, None]).any(axis=1).mean()),
            "loo_nll": float(result.fun),
            "examples": float(len(y)),
        }
        return np.asarray(result.x)

    # ---- scoring ---------------------------------------------------------------------------
    def _features(self, q: _Query, exclude: int | None = None) -> np.ndarray:
        n_leaves = len(self.leaf_ids)
        sims = self._example_vectors @ q.vector
        ex_bm25 = self._examples_bm25.scores(q.tokens)
        if exclude is not None:
            sims = sims.copy()
            sims[exclude] = -1.0
            ex_bm25[exclude] = 0.0
        per_leaf = np.append(sims, -1.0)[self._slots]
        top2 = -np.partition(-per_leaf, 1, axis=1)[:, :2] if per_leaf.shape[1] > 1 else per_leaf
        dense_max = top2.max(axis=1)
        dense_top2 = np.where(top2.min(axis=1) > -1, top2.mean(axis=1), dense_max)
        bm_ex = np.append(ex_bm25, 0.0)[self._slots].max(axis=1)
        bm_ex = bm_ex / (bm_ex.max() + 1e-6)
        bm_pr = self._profile_bm25.scores(q.tokens)
        bm_pr = bm_pr / (bm_pr.max() + 1e-6)
        kw = np.zeros(n_leaves, dtype=np.float32)
        for i, words in enumerate(self._keywords):
            hit = sum(min(len(w), 4) / 4 for w in words if w in q.text)
            kw[i] = np.log1p(hit)
        known = [self._bigram_ids[g] for g in q.bigrams if g in self._bigram_ids]
        shared = np.asarray(self._bigram_matrix[:, known].sum(axis=1)).ravel() if known else 0.0
        overlap = shared / np.maximum(len(q.bigrams) + self._bigram_sizes - shared, 1.0)
        if exclude is not None:
            overlap[exclude] = 0.0
        bigram_max = np.append(overlap, 0.0)[self._slots].max(axis=1)
        centroid = self._centroids @ q.vector
        if exclude is not None:
            # the example's own vector is part of its centroid; take it out again
            own = self._example_owner[exclude]
            n = self._member[own].sum()
            mean = (self._example_vectors[self._member[own]].sum(axis=0) - q.vector) / max(n - 1, 1)
            centroid = centroid.copy()
            centroid[own] = float(mean @ q.vector / (np.linalg.norm(mean) + 1e-12))
        return np.stack([dense_max, dense_top2, centroid, bm_ex, bm_pr, kw, bigram_max],
                        axis=1).astype(np.float64)

    def classify_vector(self, text: str, vector: np.ndarray, tokens: list[str] | None = None) -> Classification:
        """Classify filtered, normalised text whose embedding (and tokens) the caller already has."""
        self.warm_up()
        assert self.weights is not None
        q = _Query(vector, self.tokenizer.tokens(text) if tokens is None else tokens, text, char_ngrams(text))
        feats = self._features(q)
        probs = _softmax((feats @ self.weights)[None, :])[0]
        order = np.argsort(-probs)[: self.top_k]
        alternatives = tuple(
            CategoryScore(
                category=self.category_ref(self.leaf_ids[i]),
                probability=round(float(probs[i]), 4),
                evidence={name: round(float(feats[i, f]), 4) for f, name in enumerate(FEATURES)},
            )
            for i in order
        )
        matched = tuple(w for w in self._keywords[order[0]] if w in text)
        return Classification(
            category=alternatives[0].category,
            confidence=alternatives[0].probability,
            alternatives=alternatives,
            matched_keywords=matched,
        )

    def classify(self, text: str) -> Classification:
        text = self.text_filter(normalize(text))
        return self.classify_vector(text, self.embedder.embed_one(text[: self.embed_max_chars]))

    def category_ref(self, leaf_id: str) -> CategoryRef:
        leaf, parent = self.kb.leaves[leaf_id], self.kb.parent_of(leaf_id)
        return CategoryRef(id=leaf.id, name=leaf.name, parent=parent.id, parent_name=parent.name)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _write_atomically(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only cache only costs start-up time
