"""Okapi BM25 over pre-tokenised documents, scoring every document for one query at once."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np


class BM25:
    def __init__(self, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        if not documents:
            raise ValueError("BM25 needs at least one document")
        self.k1, self.b = k1, b
        self.size = len(documents)
        lengths = np.array([len(d) for d in documents], dtype=np.float32)
        avg = float(lengths.mean()) or 1.0
        self._norm = k1 * (1 - b + b * lengths / avg)
        doc_freq: Counter[str] = Counter()
        self._postings: dict[str, list[tuple[int, int]]] = {}
        for i, doc in enumerate(documents):
            for term, tf in Counter(doc).items():
                doc_freq[term] += 1
                self._postings.setdefault(term, []).append((i, tf))
        self._idf = {
            t: math.log(1 + (self.size - df + 0.5) / (df + 0.5)) for t, df in doc_freq.items()
        }

    def scores(self, query: Sequence[str]) -> np.ndarray:
        out = np.zeros(self.size, dtype=np.float32)
        for term in set(query):
            postings = self._postings.get(term)
            if not postings:
                continue
            idf = self._idf[term]
            for i, tf in postings:
                out[i] += idf * tf * (self.k1 + 1) / (tf + self._norm[i])
        return out
