"""A briefing's figures from a seeded database (tests/support/briefing_seed.py), figure by figure
against the values worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from agent.briefing import Briefer
from agent.store import CaseStore
from agent.store.briefing_performance import percentile
from core import clock
from core.briefings import Briefing, Count, briefing_period
from core.messages import Refusal
from knowledge.loader import KnowledgeBase
from tests.support.briefing_seed import CM, NOW, S1, S2, TP, at, seed

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]


@pytest.fixture
def seeded(store: CaseStore) -> dict[str, int]:
    return seed(store)


@pytest.fixture
def week(store: CaseStore, seeded: dict[str, int], kb: KnowledgeBase) -> Briefing:
    with clock.using(clock.FrozenClock(NOW)):
        return Briefer(store, kb).run("week")  # the last complete week: Mar 2 to Mar 8


def test_the_period_is_the_citys_calendar_week_and_day() -> None:
    week = briefing_period("week", "2026-03-04", "Asia/Shanghai", NOW)
    assert (week.first_day, week.last_day) == (date(2026, 3, 2), date(2026, 3, 8))
    assert week.start == datetime(2026, 3, 1, 16, tzinfo=UTC)  # Monday 00:00 in Zhengzhou
    assert week.end == datetime(2026, 3, 8, 16, tzinfo=UTC)
    assert week.previous_start == datetime(2026, 2, 22, 16, tzinfo=UTC)
    assert week.complete
    assert briefing_period("week", None, "Asia/Shanghai", NOW) == week
    assert briefing_period("day", None, "Asia/Shanghai", NOW).first_day == date(2026, 3, 10)
    today = briefing_period("day", "2026-03-11", "Asia/Shanghai", NOW)
    assert not today.complete


@pytest.mark.parametrize(("kind", "day", "code"), [
    ("month", "2026-03-04", "brief.period_unknown"), ("day", "2026-13-01", "brief.date_bad"),
    ("day", "yesterday", "brief.date_bad"), ("week", "2026-03-12", "brief.date_future"),
    ("day", "0001-01-01", "brief.date_too_old"),
])
def test_bad_periods_and_dates_are_refused_in_chinese(kind: str, day: str, code: str) -> None:
    with pytest.raises(Refusal) as refused:
        briefing_period(kind, day, "Asia/Shanghai", NOW)
    assert refused.value.code == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(refused.value))


def test_volumes_by_category_street_and_department(week: Briefing) -> None:
    v = week.figures.volumes
    assert v.cases == Count(current=4, previous=2, change=2)  # c1 c2 c3 c5 / c6 c7; merged c4 is c2
    assert v.reports == Count(current=11, previous=4, change=7)
    assert {r.id: (r.name, r.cases.current, r.cases.previous, r.reports.current, r.reports.previous)
            for r in v.by_category} == {"municipal": ("市政设施", 3, 1, 8, 3), "sanitation": ("环境卫生", 1, 1, 3, 1)}
    assert [r.id for r in v.by_category] == ["municipal", "sanitation"]
    assert {r.id: (r.cases.current, r.cases.previous, r.reports.current, r.reports.previous)
            for r in v.by_street} == {S1: (2, 2, 8, 4), S2: (2, 0, 2, 0), "": (0, 0, 1, 0)}
    assert next(r for r in v.by_street if r.id == S1).name == "经八路街道"
    assert {r.id: (r.cases.current, r.cases.previous, r.reports.current, r.reports.previous)
            for r in v.by_department} == {CM: (3, 1, 8, 3), TP: (1, 1, 3, 1)}
    assert next(r for r in v.by_department if r.id == CM).name == "郑州市城市管理局"
    assert next(r for r in v.by_department if r.id == TP).cases.change == 0


def test_hot_issues_grow_fastest_and_count_merged_reports(week: Briefing, seeded: dict[str, int]) -> None:
    hot = week.figures.hot
    assert [(h.id, h.reports, h.previous, h.growth, h.reporters) for h in hot] == [
        (seeded["c2"], 4, 0, 4, 4),  # three of its own and c4's, merged into it
        (seeded["c7"], 2, 1, 1, 3),
    ]  # c6: one report this week after three; c8: one
    assert hot[0].category == "市政设施"
    assert hot[0].street == "经八路街道"


def test_overdue_is_a_snapshot_at_the_time_of_reading(week: Briefing, seeded: dict[str, int]) -> None:
    o = week.figures.overdue
    assert o.as_of == NOW
    assert (o.past_resolve_by, o.past_due_by) == (2, 3)  # c2 c8 / c2 c3 c7
    assert [(d.id, d.past_resolve_by, d.past_due_by) for d in o.by_department] == [(CM, 2, 1), (TP, 0, 2)]
    assert [(c.id, c.hours_late, c.past_resolve_by) for c in o.cases] == [
        (seeded["c8"], 432.0, True), (seeded["c2"], 168.0, True), (seeded["c7"], 48.0, False),
        (seeded["c3"], 24.0, False)]


def test_response_and_disposal_times_per_department(week: Briefing) -> None:
    f = week.figures
    times = {t.id: t for t in f.times}
    cm, tp = times[CM], times[TP]
    # response: c1 1 h, c2 3 h (CM); c7 6 h (TP); previous week c6 2 h and c8 168 h (its first move)
    assert (cm.response.count, cm.response.median_hours, cm.response.p90_hours) == (2, 2.0, 3.0)
    assert (cm.response.previous_count, cm.response.previous_median_hours) == (2, 85.0)
    assert (tp.response.count, tp.response.median_hours, tp.response.p90_hours) == (1, 6.0, 6.0)
    assert (tp.response.previous_count, tp.response.previous_median_hours) == (0, None)
    assert (f.response.count, f.response.median_hours, f.response.p90_hours) == (3, 3.0, 6.0)
    assert f.response.previous_median_hours == 85.0
    # first disposal: c1 3 h, c2 48 h (CM); c7 6 h (TP); previous week c6 24 h
    assert (cm.disposal.count, cm.disposal.median_hours, cm.disposal.p90_hours) == (2, 25.5, 48.0)
    assert (cm.disposal.previous_count, cm.disposal.previous_median_hours) == (1, 24.0)
    assert (tp.disposal.count, tp.disposal.median_hours) == (1, 6.0)
    assert (f.disposal.count, f.disposal.median_hours, f.disposal.p90_hours) == (3, 6.0, 48.0)


def test_verification_verdicts_and_fail_rates(week: Briefing) -> None:
    f = week.figures
    rows = {r.id: r for r in f.verification_by_department}
    cm, tp = rows[CM], rows[TP]
    assert (cm.disposals, cm.passed, cm.needs_person, cm.failed, cm.decided_pass, cm.decided_fail,
            cm.final_fail) == (5, 2, 1, 2, 1, 0, 2)
    assert (cm.fail_rate, cm.previous_disposals, cm.previous_fail_rate) == (0.4, 1, 1.0)
    assert (tp.disposals, tp.passed, tp.needs_person, tp.failed, tp.decided_fail, tp.final_fail) == (2, 1, 1, 0, 1, 1)
    assert (tp.fail_rate, tp.previous_fail_rate) == (0.5, None)
    assert [r.id for r in f.verification_by_department] == [TP, CM]  # the higher fail rate first
    v = f.verification
    assert (v.disposals, v.passed, v.needs_person, v.failed, v.final_fail, v.previous_disposals) == (7, 3, 2, 2, 3, 1)
    assert v.fail_rate == pytest.approx(3 / 7)


def test_satisfaction_and_reopenings(week: Briefing) -> None:
    f = week.figures
    rows = {r.id: r for r in f.satisfaction_by_department}
    cm, tp = rows[CM], rows[TP]
    assert (cm.callbacks, cm.satisfied, cm.basically, cm.unsatisfied, cm.satisfaction_rate) == (2, 1, 1, 0, 1.0)
    assert (cm.previous_callbacks, cm.previous_satisfaction_rate, cm.reopened, cm.previous_reopened) == (1, 0.0, 0, 1)
    assert (tp.callbacks, tp.unsatisfied, tp.satisfaction_rate, tp.reopened, tp.previous_reopened) == (1, 1, 0.0, 1, 0)
    s = f.satisfaction
    assert (s.callbacks, s.satisfied, s.basically, s.unsatisfied, s.reopened, s.previous_reopened) == (3, 1, 1, 1, 1, 1)
    assert s.satisfaction_rate == pytest.approx(2 / 3)


def test_urgent_cases_of_the_period_with_their_status(week: Briefing, seeded: dict[str, int]) -> None:
    assert [(u.id, u.status, u.overdue) for u in week.figures.urgent] == [
        (seeded["c1"], "closed", False), (seeded["c2"], "handling", True), (seeded["c3"], "dispatched", False)]
    assert week.figures.urgent[1].department == "郑州市城市管理局"


def test_a_day_ends_at_the_citys_midnight(store: CaseStore, seeded: dict[str, int], kb: KnowledgeBase) -> None:
    day = Briefer(store, kb).run("day", "2026-03-04", now=NOW).figures
    assert day.volumes.cases == Count(current=1, previous=1, change=0)  # c3 at 23:30; c2 the day before
    assert day.volumes.reports == Count(current=2, previous=2, change=0)  # c4's 00:10 report is the next day
    assert [u.id for u in day.urgent] == [seeded["c3"]]
    assert day.period.start == at(3, 4, 0)


def test_an_empty_database_briefs_zeros(store: CaseStore, kb: KnowledgeBase) -> None:
    f = Briefer(store, kb).run("week", now=NOW).figures
    assert f.volumes.cases == Count(current=0, previous=0, change=0)
    assert (f.hot, f.urgent, f.times, f.verification.fail_rate) == ([], [], [], None)
    assert f.response.median_hours is None


def test_p90_is_the_nearest_rank() -> None:
    assert percentile([], 0.9) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([float(n) for n in range(1, 11)], 0.9) == 9.0
    assert percentile([float(n) for n in range(1, 12)], 0.9) == 10.0
