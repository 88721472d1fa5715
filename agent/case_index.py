"""A FAISS inner-product index over open cases' embeddings, keyed by case id.

Exact (flat) while small; an inverted-file index once it passes `ivf_threshold` vectors, so a
lookup among a million open cases stays within milliseconds. Derived data: rebuilt from the store."""

from __future__ import annotations

from typing import Any

import faiss
import numpy as np


class CaseIndex:
    """Lookups are one vector at a time, where OpenMP's start-up costs more than the search itself,
    so searches run single-threaded."""

    def __init__(self, dimension: int, ivf_threshold: int = 50_000, nprobe: int = 16) -> None:
        if dimension <= 0:
            raise ValueError("dimension must be positive")
        self.dimension, self.ivf_threshold, self.nprobe = dimension, ivf_threshold, nprobe
        self._index: Any = self._flat()

    def _flat(self) -> Any:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))

    @property
    def kind(self) -> str:
        return "ivf" if isinstance(self._index, faiss.IndexIVF) else "flat"

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def rebuild(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(ids) >= self.ivf_threshold:
            nlist = int(min(16384, max(64, 4 * np.sqrt(len(ids)))))
            quantizer = faiss.IndexFlatIP(self.dimension)
            index = faiss.IndexIVFFlat(quantizer, self.dimension, nlist, faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(0)
            sample = vectors[rng.choice(len(vectors), size=min(len(vectors), 40 * nlist), replace=False)]
            index.train(sample)
            index.nprobe = self.nprobe
            index.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]
            self._index = index
        else:
            self._index = self._flat()
        if len(ids):
            self._index.add_with_ids(vectors, ids)

    def add(self, case_id: int, vector: np.ndarray) -> None:
        self._index.add_with_ids(np.asarray(vector, dtype=np.float32).reshape(1, -1),
                                 np.array([case_id], dtype=np.int64))
        if self.kind == "flat" and len(self) >= self.ivf_threshold:
            ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
            vectors = self._index.index.reconstruct_n(0, len(self))
            self.rebuild(ids, vectors)

    def remove(self, case_id: int) -> None:
        self._index.remove_ids(np.array([case_id], dtype=np.int64))

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        if len(self) == 0:
            return []
        faiss.omp_set_num_threads(1)
        sims, ids = self._index.search(np.asarray(vector, dtype=np.float32).reshape(1, -1), min(k, len(self)))
        return [(int(i), float(s)) for i, s in zip(ids[0], sims[0], strict=True) if i >= 0]

    def similarities(self, vector: np.ndarray, case_ids: list[int]) -> list[tuple[int, float]]:
        """Inner products with the named cases' vectors (ids the index does not hold are skipped)."""
        if not case_ids:
            return []
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        out = []
        for case_id in case_ids:
            try:
                stored = self._index.reconstruct(int(case_id))
            except RuntimeError:
                continue
            out.append((int(case_id), float(np.dot(query, stored))))
        return out
