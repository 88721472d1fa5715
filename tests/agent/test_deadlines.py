from datetime import UTC, datetime, timedelta

import pytest

from agent.deadlines import StageClock, compute_deadlines
from knowledge.loader import KnowledgeBase

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def _urgent_leaf(kb: KnowledgeBase) -> str:
    return next(leaf.id for leaf in kb.leaves.values() if leaf.priority == "urgent")


def test_emergency_mode_gives_one_three_five_minutes_for_urgent_cases(kb: KnowledgeBase) -> None:
    d = compute_deadlines(kb, "emergency", _urgent_leaf(kb), "urgent", NOW)
    assert d.respond_by - NOW == timedelta(minutes=1)
    assert d.arrive_by is not None
    assert d.arrive_by - NOW == timedelta(minutes=3)
    assert d.resolve_by - NOW <= timedelta(minutes=5, seconds=1)


def test_modes_only_tighten_the_category_deadline(kb: KnowledgeBase) -> None:
    leaf_id = next(leaf.id for leaf in kb.leaves.values() if leaf.priority == "normal")
    leaf = kb.leaves[leaf_id]
    normal = compute_deadlines(kb, "normal", leaf_id, "normal", NOW)
    event = compute_deadlines(kb, "major-event", leaf_id, "normal", NOW)
    assert normal.resolve_by - NOW <= timedelta(hours=leaf.deadlines.resolve_hours)
    assert event.resolve_by <= normal.resolve_by
    assert event.respond_by <= normal.respond_by


def test_holiday_mode_answers_consumer_complaints_within_twenty_minutes(kb: KnowledgeBase) -> None:
    consumer = next(leaf_id for leaf_id in kb.leaves if leaf_id.startswith("market."))
    d = compute_deadlines(kb, "holiday", consumer, "normal", NOW)
    assert d.respond_by - NOW <= timedelta(minutes=20)


def test_unknown_mode_is_a_clear_error(kb: KnowledgeBase) -> None:
    with pytest.raises(ValueError, match="unknown mode 'party'"):
        compute_deadlines(kb, "party", _urgent_leaf(kb), "urgent", NOW)


def test_each_step_after_dispatch_has_its_deadline_from_the_policy(kb: KnowledgeBase) -> None:
    stages = StageClock(kb.policy)
    respond_by = NOW + timedelta(minutes=120)
    assert stages.due_by("received", "normal", "normal", NOW, respond_by, None) == respond_by
    dispatched = stages.due_by("dispatched", "normal", "normal", NOW, respond_by, None)
    assert dispatched == NOW + timedelta(hours=96)  # the policy's dispose_hours for normal cases
    assert stages.due_by("handling", "normal", "normal", NOW + timedelta(hours=5), respond_by, dispatched) == dispatched
    later = NOW + timedelta(days=2)
    assert stages.due_by("returned", "normal", "normal", later, respond_by, dispatched) == later + timedelta(hours=96)
    assert stages.due_by("disposed", "normal", "normal", later, respond_by, None) == later + timedelta(hours=8)
    assert stages.due_by("verified", "normal", "normal", later, respond_by, None) == later + timedelta(hours=24)
    assert stages.due_by("replied", "normal", "normal", later, respond_by, None) == later + timedelta(hours=72)
    for final in ("closed", "rejected", "merged"):
        assert stages.due_by(final, "normal", "normal", later, respond_by, dispatched) is None


def test_the_emergency_mode_tightens_every_step(kb: KnowledgeBase) -> None:
    stages = StageClock(kb.policy)
    urgent = stages.due_by("dispatched", "emergency", "urgent", NOW, NOW, None)
    assert urgent is not None
    assert urgent - NOW <= timedelta(minutes=5, seconds=1)
    assert stages.due_by("verified", "emergency", "normal", NOW, NOW, None) == NOW + timedelta(hours=4)
