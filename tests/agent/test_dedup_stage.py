"""DedupStage alone, with hand-made vectors and places (the real pipeline is in tests/agent/test_dedup.py)."""

from datetime import UTC, datetime

import numpy as np
import pytest

from agent.dedup import DedupStage
from core.settings import DedupSettings
from core.types import CategoryRef, CategoryScore, Classification, Place, PlaceRef
from knowledge.loader import KnowledgeBase

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _classification(kb: KnowledgeBase, leaf_id: str) -> Classification:
    parent = kb.parent_of(leaf_id)
    ref = CategoryRef(id=leaf_id, name=kb.leaves[leaf_id].name, parent=parent.id, parent_name=parent.name)
    return Classification(category=ref, confidence=0.9, alternatives=(CategoryScore(category=ref, probability=0.9),))


def test_the_merged_case_is_always_in_the_evidence(kb: KnowledgeBase) -> None:
    leaf = next(iter(kb.leaves))
    street = next(iter(kb.streets.values()))
    here = Place(street=PlaceRef(id=street.id, name=street.name), detail="幸福小区")
    stage = DedupStage(kb, 4, DedupSettings(evidence=2))
    query = np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32)
    # identical old cases at the same place: shown as evidence, higher scores, but outside the window
    for case_id in range(1, 6):
        stage.register(case_id, query, here, leaf, datetime(2026, 10, 1, tzinfo=UTC))
    twin = np.array([0.6, 0.8, 0.0, 0.0], dtype=np.float32)
    stage.register(99, twin, here, leaf, NOW)
    found = stage.run(query, here, _classification(kb, leaf), NOW)
    assert found.duplicate_of == 99
    assert found.candidates[0].case_id == 99
    assert found.candidates[0].verdict == "duplicate"
    assert len(found.candidates) <= 2


def test_a_case_at_the_same_spot_is_found_when_many_others_read_more_alike(kb: KnowledgeBase) -> None:
    leaf = next(iter(kb.leaves))
    streets = list(kb.streets.values())
    here = Place(street=PlaceRef(id=streets[0].id, name=streets[0].name), crossing=("road.a", "road.b"))
    stage = DedupStage(kb, 4, DedupSettings(candidates=5))
    query = np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32)
    # thirty cases elsewhere read more like the report than its own case does
    for case_id in range(1, 31):
        there = Place(street=PlaceRef(id=streets[case_id % 5 + 1].id, name=streets[case_id % 5 + 1].name))
        stage.register(case_id, np.array([0.9, 0.4359, 0.0, 0.0], dtype=np.float32), there, leaf, NOW)
    own = np.array([0.5, 0.0, 0.866, 0.0], dtype=np.float32)
    stage.register(99, own, here, leaf, NOW)
    found = stage.run(query, here, _classification(kb, leaf), NOW)
    assert found.duplicate_of == 99
    assert found.candidates[0].similarity == pytest.approx(0.5, abs=1e-3)
    # forgotten (closed) cases are not found at the spot any more
    stage.forget(99)
    assert stage.run(query, here, _classification(kb, leaf), NOW).duplicate_of is None
