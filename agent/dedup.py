"""Dedup: is a new report the same incident as an open case?

Meaning alone confuses "same category, other street" with "same incident, reworded", so a
duplicate needs all of: similar text, a compatible place, a compatible category and a report time
inside the window. The more certain the place match, the less text similarity it needs; a case's
category is compatible when it is the report's category or one of its likely alternatives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from pydantic import BaseModel, ConfigDict

from agent.case_index import CaseIndex
from agent.store import CaseStore
from agent.types import Classification, DedupCandidate, DedupResult, Place
from knowledge.loader import KnowledgeBase
from knowledge.places import place_match


class DedupSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Tuned on zhengzhou_dev only (the dedup threshold curve of `gridtriage eval`).
    same_place_similarity: float = 0.30   # landmark, crossing or address detail agree
    near_place_similarity: float = 0.40   # same street (and road)
    unknown_place_similarity: float = 0.80  # either place unknown: only very similar text
    same_category_discount: float = 0.15  # same leaf category at a known, agreeing place
    related_similarity: float = 0.60
    alternative_probability: float = 0.2  # a case's category counts if the report's alternatives give it this much
    time_window_hours: float = 72.0
    candidates: int = 20
    evidence: int = 5  # candidates kept as evidence with each report
    ivf_threshold: int = 50_000


@dataclass
class _CaseMeta:
    place: Place
    category_id: str
    last_reported_at: datetime


class DedupStage:
    def __init__(self, kb: KnowledgeBase, dimension: int, settings: DedupSettings | None = None) -> None:
        self.kb = kb
        self.settings = settings or DedupSettings()
        self.index = CaseIndex(dimension, ivf_threshold=self.settings.ivf_threshold)
        self._meta: dict[int, _CaseMeta] = {}

    def warm_up(self, store: CaseStore) -> None:
        """Rebuild the index from the store's open cases."""
        ids, vectors = [], []
        self._meta.clear()
        for case in store.open_cases():
            if case.category_id not in self.kb.leaves:
                continue  # a category the current knowledge base no longer has
            ids.append(case.id)
            vectors.append(case.embedding)
            self._meta[case.id] = _CaseMeta(Place.model_validate(case.place), case.category_id,
                                            case.last_reported_at)
        matrix = np.vstack(vectors) if vectors else np.zeros((0, self.index.dimension), np.float32)
        self.index.rebuild(np.array(ids, dtype=np.int64), matrix)

    def register(self, case_id: int, vector: np.ndarray, place: Place, category_id: str,
                 reported_at: datetime) -> None:
        self.index.add(case_id, vector)
        self._meta[case_id] = _CaseMeta(place, category_id, reported_at)

    def touch(self, case_id: int, reported_at: datetime) -> None:
        meta = self._meta.get(case_id)
        if meta is not None and reported_at > meta.last_reported_at:
            meta.last_reported_at = reported_at

    def forget(self, case_id: int) -> None:
        if self._meta.pop(case_id, None) is not None:
            self.index.remove(case_id)

    def run(self, vector: np.ndarray, place: Place, classification: Classification,
            reported_at: datetime) -> DedupResult:
        s = self.settings
        category_id = classification.category.id
        plausible = {a.category.id for a in classification.alternatives
                     if a.probability >= s.alternative_probability} | {category_id}
        candidates: list[DedupCandidate] = []
        for case_id, sim in self.index.search(vector, s.candidates):
            meta = self._meta.get(case_id)
            if meta is None:
                continue
            pm = place_match(place, meta.place)
            same_leaf = meta.category_id == category_id
            compatible = meta.category_id in plausible
            hours = abs((reported_at - meta.last_reported_at).total_seconds()) / 3600
            needed = (s.same_place_similarity if pm >= 1.0 else
                      s.near_place_similarity if pm > 0.5 else
                      s.unknown_place_similarity if pm == 0.5 else None)
            if needed is not None and same_leaf and pm > 0.5:
                needed -= s.same_category_discount
            if needed is None:
                verdict, reason = "different", f"different place (match {pm:.2f})"
            elif hours > s.time_window_hours:
                verdict, reason = "different", f"{hours:.0f} h apart, outside the {s.time_window_hours:.0f} h window"
            elif not compatible:
                verdict, reason = "different", f"incompatible category {meta.category_id}"
            elif sim >= needed:
                verdict, reason = "duplicate", f"similarity {sim:.2f} ≥ {needed:.2f} at place match {pm:.2f}"
            else:
                verdict, reason = "different", f"similarity {sim:.2f} < {needed:.2f} at place match {pm:.2f}"
            if verdict == "different" and sim >= s.related_similarity and pm > 0:
                verdict = "related"
            candidates.append(DedupCandidate(
                case_id=case_id, similarity=round(sim, 4), place_match=pm, category_match=same_leaf,
                hours_apart=round(hours, 2), score=round(sim + 0.2 * pm + (0.1 if same_leaf else 0), 4),
                verdict=verdict, reason=reason,
            ))
        # duplicates first, so the evidence always includes the case the report is merged into
        order = {"duplicate": 0, "related": 1, "different": 2}
        candidates.sort(key=lambda c: (order[c.verdict], -c.score))
        shown = [c for c in candidates if c.verdict != "different" or c.place_match > 0][: s.evidence]
        return DedupResult(
            duplicate_of=shown[0].case_id if shown and shown[0].verdict == "duplicate" else None,
            related=tuple(c.case_id for c in candidates if c.verdict == "related")[: s.evidence],
            candidates=tuple(shown),
        )
