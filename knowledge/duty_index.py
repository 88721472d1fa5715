"""One retrieval index over every department's duty clauses: BM25 over jieba tokens fused with
dense similarity, so both a citizen's exact words and a paraphrase find the clause."""

from __future__ import annotations

import numpy as np

from classifiers.bm25 import BM25
from classifiers.embedders import Embedder
from classifiers.text import Tokenizer, normalize
from core.component import LoadOnce
from core.types import ClauseRef
from knowledge.loader import KnowledgeBase


class DutyIndex(LoadOnce):
    def __init__(self, kb: KnowledgeBase, embedder: Embedder, tokenizer: Tokenizer,
                 lexical_weight: float = 0.5) -> None:
        if not 0 <= lexical_weight <= 1:
            raise ValueError("lexical_weight must be between 0 and 1")
        super().__init__()
        self.kb, self.embedder, self.tokenizer = kb, embedder, tokenizer
        self.lexical_weight = lexical_weight
        self._bm25: BM25 | None = None

    def _load(self) -> None:
        self.clause_ids = list(self.kb.clauses)
        docs = [
            normalize(" ".join([self.kb.clauses[c].text, *self.kb.clauses[c].keywords]))
            for c in self.clause_ids
        ]
        self._bm25 = BM25([self.tokenizer.tokens(d) for d in docs])
        self._vectors = self.embedder.embed_cached(docs)
        self.department_ids = list(self.kb.departments)
        dept_index = {d: i for i, d in enumerate(self.department_ids)}
        self._owner = np.array([dept_index[self.kb.clause_department[c]] for c in self.clause_ids])
        self._position = {c: i for i, c in enumerate(self.clause_ids)}

    def position(self, clause_id: str) -> int:
        """Where a clause's score stands in `scores`."""
        self.warm_up()
        return self._position[clause_id]

    def scores(self, tokens: list[str], vector: np.ndarray) -> np.ndarray:
        """A fused score in [0, 1] for every clause, in `clause_ids` order."""
        self.warm_up()
        assert self._bm25 is not None
        lexical = self._bm25.scores(tokens)
        lexical = lexical / (lexical.max() + 1e-6)
        dense = np.clip(self._vectors @ vector, 0.0, 1.0)
        w = self.lexical_weight
        fused: np.ndarray = w * lexical + (1 - w) * dense
        return fused

    def department_scores(self, clause_scores: np.ndarray) -> dict[str, float]:
        best = np.zeros(len(self.department_ids))
        np.maximum.at(best, self._owner, clause_scores)
        return {d: float(best[i]) for i, d in enumerate(self.department_ids)}

    def top_clauses(self, clause_scores: np.ndarray, department_id: str, k: int = 2) -> tuple[ClauseRef, ...]:
        index = self.department_ids.index(department_id)
        own = np.flatnonzero(self._owner == index)
        best = own[np.argsort(-clause_scores[own])[:k]]
        return tuple(
            ClauseRef(id=self.clause_ids[i], text=self.kb.clauses[self.clause_ids[i]].text,
                      score=round(float(clause_scores[i]), 4))
            for i in best
        )
