"""The escalation ladder and 吹哨报到 in the store, on SQLite and PostgreSQL, with a frozen clock: an
overdue case climbs grid → street → district → city one step per step deadline, each step stored,
notified and audited once however many schedulers tick at the same moment; a whistle's department
reports in, or is escalated to the city centre once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select

from agent.store.escalation import Escalator, Fired
from agent.store.models import AuditRow, CaseRow, EscalationRow, NotificationRow
from agent.store.notices import Notices
from agent.store.store import CaseStore
from agent.store.whistles import Whistles
from core.clock import FrozenClock
from core.messages import NotFound, Refusal
from knowledge.loader import KnowledgeBase
from tests.support.concurrently import concurrently

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

GRID, STREET, DISTRICT = "erqi.daxue-road.c1.g1", "erqi.daxue-road", "erqi"
LEAD = "city-management"


def seed_case(store: CaseStore, now: datetime, **fields: Any) -> int:
    """A case row written straight through the model: in the grid above, waiting for review, due to
    be answered in 10 minutes (fields override)."""
    columns: dict[str, Any] = {
        "status": "received", "category_id": "community.neighbour-dispute", "category_name": "邻里纠纷",
        "priority": "normal", "urgent": False, "confidence": 0.9, "needs_review": True, "title": "楼上漏水",
        "summary": "楼上漏水", "district_id": DISTRICT, "street_id": STREET, "lead_department_id": LEAD,
        "mode": "normal", "respond_by": now + timedelta(minutes=10), "arrive_by": None,
        "resolve_by": now + timedelta(hours=120), "due_by": now + timedelta(minutes=10),
        "place": {"grid": {"id": GRID, "name": "大学路第一社区第1网格", "level": "grid", "members": []}},
        "departments": [], "draft": {}, "emergency": None, "merged_into": None, "kind": "incident",
        "grid_id": GRID, "grid_first": True, "embedding": np.zeros(4, dtype=np.float32).tobytes(),
        "first_reported_at": now, "last_reported_at": now, "created_at": now, "updated_at": now}
    columns.update(fields)
    with store.session() as s, s.begin():
        row = CaseRow(**columns)
        s.add(row)
        s.flush()
        return row.id


def escalations(store: CaseStore, case_id: int) -> list[tuple[int, str, str]]:
    with store.session() as s:
        return [(r.step, r.level, r.reason) for r in s.scalars(
            select(EscalationRow).where(EscalationRow.case_id == case_id).order_by(EscalationRow.id))]


def audited(store: CaseStore, event: str, case_id: int) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(AuditRow).where(
            AuditRow.event == event, AuditRow.case_id == case_id)) or 0)


def audiences(store: CaseStore, case_id: int) -> list[tuple[str, str]]:
    with store.session() as s:
        return [(r.audience, r.code) for r in s.scalars(
            select(NotificationRow).where(NotificationRow.case_id == case_id).order_by(NotificationRow.id))]


def test_an_overdue_case_climbs_the_ladder_one_step_per_deadline(store: CaseStore, kb: KnowledgeBase,
                                                                  frozen_clock: FrozenClock) -> None:
    start = frozen_clock.now()
    case_id = seed_case(store, start)
    quiet = seed_case(store, start, respond_by=start + timedelta(days=2), due_by=start + timedelta(days=2))
    ladder = Escalator(store, kb.policy)
    assert ladder.tick() == []

    frozen_clock.set(start + timedelta(minutes=10))  # the respond-by time itself: passed
    fired = ladder.tick()
    assert [(f.case_id, f.level, f.reason) for f in fired] == [(case_id, "street", "respond")]
    assert ladder.tick() == [], "the next step waits for this step's own deadline"
    assert audiences(store, case_id) == [(f"street:{STREET}", "notice.escalated.street"),
                                         (f"department:{kb.policy.local_office_department}", "notice.escalated.street")]

    step = timedelta(minutes=kb.policy.escalation_minutes("normal"))
    frozen_clock.advance(step - timedelta(seconds=1))
    assert ladder.tick() == []
    frozen_clock.advance(timedelta(seconds=1))
    assert [f.level for f in ladder.tick()] == ["district"]
    frozen_clock.advance(step)
    assert [f.level for f in ladder.tick()] == ["city"]
    frozen_clock.advance(step * 10)
    assert ladder.tick() == [], "the city centre is the top of the ladder"

    assert escalations(store, case_id) == [(1, "street", "respond"), (2, "district", "step"), (3, "city", "step")]
    assert escalations(store, quiet) == []
    assert audited(store, "case.escalated", case_id) == 3
    with store.session() as s:
        row = s.get(CaseRow, case_id)
        assert row is not None
        assert (row.escalation_step, row.escalation_level, row.escalation_due_by) == (3, "city", None)
    assert ("city", "notice.escalated.city") in audiences(store, case_id)
    assert (f"department:{LEAD}", "notice.escalated.district") in audiences(store, case_id)


def test_a_case_dealt_with_stops_climbing(store: CaseStore, kb: KnowledgeBase, frozen_clock: FrozenClock) -> None:
    start = frozen_clock.now()
    seed_case(store, start, grid_id=None, street_id=None)  # no grid, no street: starts at the district
    ladder = Escalator(store, kb.policy)
    frozen_clock.advance(timedelta(minutes=11))
    assert [f.level for f in ladder.tick()] == ["city"]
    later = seed_case(store, start)
    with store.session() as s, s.begin():  # dispatched in time: the respond-by no longer counts
        row = s.get(CaseRow, later)
        assert row is not None
        row.status, row.due_by = "dispatched", start + timedelta(hours=96)
    frozen_clock.advance(timedelta(hours=2))
    assert [f.case_id for f in ladder.tick()] == []


def test_several_schedulers_fire_each_step_once(store: CaseStore, database: str, kb: KnowledgeBase,
                                                frozen_clock: FrozenClock) -> None:
    start = frozen_clock.now()
    cases = [seed_case(store, start) for _ in range(6)]
    stores = [CaseStore.open(database) for _ in range(4)]  # four processes' engines on one database
    try:
        ladders = [Escalator(s, kb.policy, name=f"scheduler-{i}") for i, s in enumerate(stores)]
        turn = iter(range(10_000))

        def tick() -> list[Fired]:
            return ladders[next(turn) % len(ladders)].tick()

        for minutes in (10, 10 + kb.policy.escalation_minutes("normal")):
            frozen_clock.set(start + timedelta(minutes=minutes))
            fired = [f for answer in concurrently(tick, 8) for f in answer]
            fired += [f for ladder in ladders for f in ladder.tick()]  # any a locked-out scheduler left
            assert sorted(f.case_id for f in fired) == cases, "each case's step fired by exactly one scheduler"
        for case_id in cases:
            assert [e[:2] for e in escalations(store, case_id)] == [(1, "street"), (2, "district")]
            assert audited(store, "case.escalated", case_id) == 2
            assert len(audiences(store, case_id)) == 4  # street and its office, then the lead department and district
    finally:
        for s in stores:
            s.close()


def test_a_whistle_is_reported_in_or_escalated_once(store: CaseStore, database: str, kb: KnowledgeBase,
                                                    frozen_clock: FrozenClock) -> None:
    start = frozen_clock.now()
    case_id = seed_case(store, start, status="dispatched", due_by=start + timedelta(hours=96), mode="emergency")
    whistles = Whistles(store, kb.policy)
    with pytest.raises(Refusal, match="至少"):
        whistles.whistle(case_id, [], "", "grid:赵网格员")
    whistle = whistles.whistle(case_id, ["city-management", "public-security", "city-management"],
                               "楼道堵死，需要执法", "grid:赵网格员")
    assert [c.department_id for c in whistle.calls] == ["city-management", "public-security"]
    assert whistle.calls[0].due_by == start + timedelta(minutes=1)  # 应急: report in within a minute
    assert whistle.mode == "emergency"

    frozen_clock.advance(timedelta(seconds=30))
    reported = whistles.report(case_id, whistle.id, "city-management", "department:城管", "马上到")
    assert reported.calls[0].reported_at == frozen_clock.now()
    assert not reported.calls[0].late
    with pytest.raises(Refusal, match="已对吹哨"):
        whistles.report(case_id, whistle.id, "city-management", "department:城管")
    with pytest.raises(NotFound, match="没有调度部门"):
        whistles.report(case_id, whistle.id, "water-supply", "department:供水")
    with pytest.raises(NotFound, match="没有编号为"):
        whistles.report(case_id, whistle.id + 1, "city-management", "department:城管")

    frozen_clock.advance(timedelta(seconds=31))  # public security's minute has passed
    other = CaseStore.open(database)
    try:
        ladders = [Escalator(store, kb.policy, name="a"), Escalator(other, kb.policy, name="b")]
        turn = iter(range(100))
        fired = [f for answer in concurrently(lambda: ladders[next(turn) % 2].tick(), 4) for f in answer]
    finally:
        other.close()
    assert [(f.level, f.reason) for f in fired] == [("city", "report_in")]
    assert escalations(store, case_id) == [(0, "city", "report_in")]
    late = whistles.report(case_id, whistle.id, "public-security", "department:公安", "路上")
    assert late.calls[1].late
    assert late.calls[1].escalated_at is not None
    feed = Notices(store)
    assert [n.code for n in feed.feed(["department:public-security"])] == ["notice.whistle", "notice.report_missed"]
    assert [n.code for n in feed.feed([f"grid:{GRID}"])] == ["notice.reported_in", "notice.report_missed",
                                                             "notice.reported_in"]
    assert [n.code for n in feed.feed(["city"])] == ["notice.report_missed"]
    assert audited(store, "case.whistled", case_id) == 1
    assert audited(store, "whistle.reported", case_id) == 2
