"""Okapi BM25 over pre-tokenised documents, scoring every document for one query at once.

The per-term document weights are precomputed into a sparse matrix, so scoring a query is one
sparse column sum."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy.sparse import csc_matrix


class BM25:
    def __init__(self, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        if not documents:
            raise ValueError("BM25 needs at least one document")
        self.size = len(documents)
        lengths = np.array([len(d) for d in documents], dtype=np.float64)
        norm = k1 * (1 - b + b * lengths / (float(lengths.mean()) or 1.0))
        counts = [Counter(d) for d in documents]
        doc_freq: Counter[str] = Counter(t for c in counts for t in c)
        self._terms = {t: i for i, t in enumerate(doc_freq)}
        idf = {t: math.log(1 + (self.size - df + 0.5) / (df + 0.5)) for t, df in doc_freq.items()}
        rows, cols, weights = [], [], []
        for i, c in enumerate(counts):
            for term, tf in c.items():
                rows.append(i)
                cols.append(self._terms[term])
                weights.append(idf[term] * tf * (k1 + 1) / (tf + norm[i]))
        self._weights = csc_matrix((weights, (rows, cols)), shape=(self.size, len(self._terms)), dtype=np.float32)

    def scores(self, query: Sequence[str]) -> np.ndarray:
        ids = sorted({self._terms[t] for t in query if t in self._terms})
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._weights[:, ids].sum(axis=1), dtype=np.float32).ravel()
