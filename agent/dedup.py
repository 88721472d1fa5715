"""Dedup: is a new report the same incident as an open case?

Meaning alone confuses "same category, other street" with "same incident, reworded", so a
duplicate needs all of: similar text, a compatible place, a compatible category, the same kind of report
(something wrong now, or a request for something new) and a report time
inside the window. The more certain the place match, the less text similarity it needs; a case's
category is compatible when it is the report's category or one of its likely alternatives.

Candidates are the cases nearest in meaning plus the open cases at the same spot (landmark,
crossing, named estate, or street and road), so a reworded report of a busy spot still meets the
case it belongs to when many other cases read more alike.

A photo is stronger evidence than words: the same photo (recompressed, resized or cropped, by
perceptual hash) sent again inside the time window makes the report a duplicate of the case that
has it, whatever the text says; the Hamming distance is the evidence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from agent.case_index import CaseIndex
from agent.store import CaseStore
from agent.store.store import OpenCase
from classifiers.photos import PhotoHashIndex
from core.component import LoadOnce
from core.messages import message
from core.photo_types import PhotoFacts
from core.settings import DedupSettings
from core.types import Classification, DedupCandidate, DedupResult, Place
from knowledge.loader import KnowledgeBase
from knowledge.places import place_match


@dataclass
class _CaseMeta:
    place: Place
    category_id: str
    last_reported_at: datetime
    kind: str = "incident"


class DedupStage(LoadOnce):
    """Finds the open case a report repeats. `store`: the case store whose open cases `warm_up`
    indexes; without one (an evaluation over a dataset) the index starts empty."""

    def __init__(self, kb: KnowledgeBase, dimension: int, settings: DedupSettings | None = None,
                 store: CaseStore | None = None) -> None:
        super().__init__()
        self.kb, self.store = kb, store
        self.settings = settings or DedupSettings()
        self.index = CaseIndex(dimension, ivf_threshold=self.settings.ivf_threshold)
        self._meta: dict[int, _CaseMeta] = {}
        self.photos = PhotoHashIndex()
        self._at_spot: dict[tuple[str, ...], set[int]] = {}

    def _load(self) -> None:
        """The index of the store's open cases."""
        if self.store is None:
            return
        store = self.store
        ids, vectors = [], []
        self._meta.clear()
        self._at_spot.clear()
        for case in store.open_cases():
            if self._indexable(case):
                ids.append(case.id)
                vectors.append(case.embedding)
                self._remember_stored(case)
        matrix = np.vstack(vectors) if vectors else np.zeros((0, self.index.dimension), np.float32)
        self.index.rebuild(np.array(ids, dtype=np.int64), matrix)
        self.photos = PhotoHashIndex()
        for case_id, phash, dhash, crops in store.open_case_photos():
            if case_id in self._meta:
                self.photos.add(case_id, phash, dhash, crops)

    def catch_up(self, case_ids: frozenset[int]) -> None:
        """Read these cases again from the store (another process may have opened, merged into, moved
        or edited them): a case that attracts duplicates is indexed as stored, any other forgotten."""
        if self.store is None:
            return
        for case_id in case_ids:
            self.forget(case_id)
            for case in self.store.open_cases(case_id):
                if self._indexable(case):
                    self.index.add(case.id, case.embedding)
                    self._remember_stored(case)
                    for _, phash, dhash, crops in self.store.open_case_photos(case_id):
                        self.photos.add(case_id, phash, dhash, crops)

    def _indexable(self, case: OpenCase) -> bool:
        return case.category_id in self.kb.leaves  # not a category the current knowledge base dropped

    def _remember_stored(self, case: OpenCase) -> None:
        self._remember(case.id, _CaseMeta(Place.model_validate(case.place), case.category_id,
                                          case.last_reported_at, case.kind))

    def register(self, case_id: int, vector: np.ndarray, place: Place, category_id: str,
                 reported_at: datetime, photos: tuple[PhotoFacts, ...] = (), kind: str = "incident") -> None:
        self.index.add(case_id, vector)
        self._remember(case_id, _CaseMeta(place, category_id, reported_at, kind))
        self.add_photos(case_id, photos)

    def _remember(self, case_id: int, meta: _CaseMeta) -> None:
        self._meta[case_id] = meta
        for key in _spot_keys(meta.place):
            self._at_spot.setdefault(key, set()).add(case_id)

    def add_photos(self, case_id: int, photos: tuple[PhotoFacts, ...]) -> None:
        """A merged report's photos make its case recognisable by them too."""
        for photo in photos:
            self.photos.add(case_id, photo.phash, photo.dhash, photo.crop_hashes)

    def touch(self, case_id: int, reported_at: datetime) -> None:
        meta = self._meta.get(case_id)
        if meta is not None and reported_at > meta.last_reported_at:
            meta.last_reported_at = reported_at

    def forget(self, case_id: int) -> None:
        meta = self._meta.pop(case_id, None)
        if meta is not None:
            for key in _spot_keys(meta.place):
                self._at_spot.get(key, set()).discard(case_id)
            self.index.remove(case_id)
            self.photos.remove(case_id)

    def _nearby(self, vector: np.ndarray, place: Place, reported_at: datetime) -> list[tuple[int, float]]:
        """The cases nearest in meaning, then the open cases at the report's spot inside the window."""
        s = self.settings
        found = self.index.search(vector, s.candidates)
        seen = {case_id for case_id, _ in found}
        window = s.time_window_hours * 3600
        spot = {case_id for key in _spot_keys(place) for case_id in self._at_spot.get(key, ())} - seen
        recent = sorted((c for c in spot if c in self._meta
                         and abs((reported_at - self._meta[c].last_reported_at).total_seconds()) <= window),
                        key=lambda c: self._meta[c].last_reported_at, reverse=True)[: s.same_spot_candidates]
        return found + self.index.similarities(vector, recent)

    def run(self, vector: np.ndarray, place: Place, classification: Classification,
            reported_at: datetime, photos: tuple[PhotoFacts, ...] = (), kind: str = "incident") -> DedupResult:
        s = self.settings
        category_id = classification.category.id
        plausible = {a.category.id for a in classification.alternatives
                     if a.probability >= s.alternative_probability} | {category_id}
        candidates: list[DedupCandidate] = []
        for case_id, sim in self._nearby(vector, place, reported_at):
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
            if needed is not None and not same_leaf:  # a neighbouring category: the same problem in other words
                needed = max(needed, s.other_leaf_similarity)
            if needed is None:
                verdict, reason = "different", message("dedup.different_place", match=f"{pm:.2f}")
            elif hours > s.time_window_hours:
                verdict, reason = "different", message("dedup.outside_window", hours=f"{hours:.0f}",
                                                       window=f"{s.time_window_hours:.0f}")
            elif not compatible:
                verdict, reason = "different", message("dedup.other_category", category=self._name(meta.category_id))
            elif kind != meta.kind:
                verdict, reason = "different", message("dedup.other_kind")
            elif sim >= needed:
                verdict, reason = "duplicate", message("dedup.similar", similarity=f"{sim:.2f}", needed=f"{needed:.2f}",
                                                       match=f"{pm:.2f}")
            else:
                verdict, reason = "different", message("dedup.not_similar", similarity=f"{sim:.2f}",
                                                       needed=f"{needed:.2f}", match=f"{pm:.2f}")
            if verdict == "different" and sim >= s.related_similarity and pm > 0:
                verdict = "related"
            candidates.append(DedupCandidate(
                case_id=case_id, similarity=round(sim, 4), place_match=pm, category_match=same_leaf,
                hours_apart=round(hours, 2), score=round(sim + 0.2 * pm + (0.1 if same_leaf else 0), 4),
                verdict=verdict, reason=reason,
            ))
        candidates = self._same_photo(candidates, photos, place, category_id, reported_at)
        # duplicates first, so the evidence always includes the case the report is merged into
        order = {"duplicate": 0, "related": 1, "different": 2}
        candidates.sort(key=lambda c: (order[c.verdict], -c.score))
        shown = [c for c in candidates if c.verdict != "different" or c.place_match > 0][: s.evidence]
        return DedupResult(
            duplicate_of=shown[0].case_id if shown and shown[0].verdict == "duplicate" else None,
            related=tuple(c.case_id for c in candidates if c.verdict == "related")[: s.evidence],
            candidates=tuple(shown),
        )

    def _name(self, category_id: str) -> str:
        leaf = self.kb.leaves.get(category_id)
        return leaf.name if leaf else category_id

    def _same_photo(self, candidates: list[DedupCandidate], photos: tuple[PhotoFacts, ...], place: Place,
                    category_id: str, reported_at: datetime) -> list[DedupCandidate]:
        """Cases holding one of the report's photos (nearest distance per case) become duplicates
        inside the time window."""
        nearest: dict[int, int] = {}
        for photo in photos:
            for case_id, distance in self.photos.nearest(photo.phash, photo.dhash,
                                                         self.settings.same_photo_max_distance, photo.crop_hashes):
                nearest[case_id] = min(distance, nearest.get(case_id, distance))
        if not nearest:
            return candidates
        by_case = {c.case_id: c for c in candidates}
        for case_id, distance in nearest.items():
            meta = self._meta.get(case_id)
            if meta is None:
                continue
            hours = abs((reported_at - meta.last_reported_at).total_seconds()) / 3600
            if hours > self.settings.time_window_hours:
                continue
            seen = by_case.get(case_id)
            evidence = message("dedup.same_photo", distance=distance, limit=self.settings.same_photo_max_distance)
            if seen is not None:
                by_case[case_id] = seen.model_copy(update={
                    "verdict": "duplicate", "photo_distance": distance,
                    "reason": evidence})
            else:
                pm = place_match(place, meta.place)
                by_case[case_id] = DedupCandidate(
                    case_id=case_id, similarity=0.0, place_match=pm, category_match=meta.category_id == category_id,
                    hours_apart=round(hours, 2), score=round(1.0 + 0.2 * pm, 4), verdict="duplicate",
                    reason=evidence, photo_distance=distance)
        return list(by_case.values())


def _spot_keys(place: Place) -> list[tuple[str, ...]]:
    """Keys under which a place's cases are found again: its landmark, crossing, named estate (by
    the end of its name, as `place_match` compares them) and each road within its street."""
    keys: list[tuple[str, ...]] = []
    if place.landmark:
        keys.append(("landmark", place.landmark.id))
    if place.crossing:
        keys.append(("crossing", *place.crossing))
    if place.detail and len(place.detail) >= 3:
        keys.append(("detail", place.detail[-3:]))
    if place.street:
        keys.extend(("road", place.street.id, road.id) for road in place.roads)
    return keys
