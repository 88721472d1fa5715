"""The situation picture's figures from a seeded database (tests/support/situation_seed.py), figure by
figure against the values worked out by hand, city-wide and for one department."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from agent.store import CaseStore
from agent.store.situation import situation_figures
from core import clock
from core.situation import Situation
from knowledge.loader import KnowledgeBase
from knowledge.schema import Grid
from tests.support.situation_seed import CM, G1, NOW, S1, S1_CENTRE, S2, TP, at, seed

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

SQUARE = {"type": "Polygon", "coordinates": [[[113.66, 34.77], [113.67, 34.77], [113.67, 34.78], [113.66, 34.78],
                                              [113.66, 34.77]]]}


@pytest.fixture
def ids(store: CaseStore) -> dict[str, int]:
    return seed(store)


@pytest.fixture
def gridded(kb: KnowledgeBase) -> KnowledgeBase:
    grid = Grid(id=G1, name="经八路第一网格", level="grid", street=S1, geometry=SQUARE)
    return dataclasses.replace(kb, grids={G1: grid})


def picture(store: CaseStore, kb: KnowledgeBase, department: str | None = None, grid: str | None = None) -> Situation:
    with clock.using(clock.FrozenClock(NOW)):
        return situation_figures(store, kb, department, grid)


def test_the_city_wide_picture(store: CaseStore, ids: dict[str, int], gridded: KnowledgeBase) -> None:
    s = picture(store, gridded)
    assert s.as_of == NOW.astimezone(UTC)
    assert s.today_start == datetime(2026, 3, 10, 16, tzinfo=UTC)
    assert (s.open, s.overdue, s.waiting) == (5, 2, 3)
    assert s.open_by_priority == {"urgent": 1, "high": 1, "normal": 2, "low": 1}
    assert [(d.id, d.name, d.open, d.overdue) for d in s.departments] == [
        (CM, gridded.departments[CM].name, 3, 1), (TP, gridded.departments[TP].name, 2, 1)]
    streets = [(a.id, a.name, a.open, a.overdue) for a in s.streets]
    assert streets == [(S2, "花园路街道", 2, 2), (S1, "经八路街道", 2, 0)]
    assert [(a.id, a.name, a.open, a.overdue) for a in s.grids] == [(G1, "经八路第一网格", 2, 0)]


def test_the_points_most_pressing_first_and_located(store: CaseStore, ids: dict[str, int],
                                                    gridded: KnowledgeBase) -> None:
    points = picture(store, gridded).points
    name = {v: k for k, v in ids.items()}
    assert [name[p.id] for p in points] == ["a1", "a2", "a5", "a3", "a4"]  # emergency, high, normal by resolve-by, low
    where = {name[p.id]: (p.located, p.lat, p.lon, p.grid) for p in points}
    assert where["a1"] == ("point", 34.7801, 113.6652, G1)
    assert where["a2"] == ("street", *S1_CENTRE, G1)
    assert where["a4"] == ("none", None, None, None)
    assert [name[p.id] for p in points if p.overdue] == ["a5", "a3"]
    assert [name[p.id] for p in points if p.emergency] == ["a1"]


def test_the_hourly_trend_against_the_past_week(store: CaseStore, ids: dict[str, int], kb: KnowledgeBase) -> None:
    hours = picture(store, kb).hourly
    assert [h.hour for h in hours] == list(range(24))
    assert [h.today for h in hours[:11]] == [0] * 8 + [1, 1, 1]  # a2 at 08:05, a1 at 09:10, a3 at 10:00
    assert all(h.today is None for h in hours[11:])  # the hours still to come
    # the past week: a4 (Mar 10), a5 (Mar 5), a6 (Mar 8) at nine; a9 at 00:30 on Mar 4 (16:30 UTC on
    # Mar 3); not a7 (merged) nor a8 (Mar 3 23:50, before the week)
    assert {h.hour: h.week_average for h in hours if h.week_average} == {0: round(1 / 7, 2), 9: round(3 / 7, 2)}


def test_the_respond_by_countdowns_soonest_first(store: CaseStore, ids: dict[str, int], kb: KnowledgeBase) -> None:
    countdowns = picture(store, kb).countdowns
    assert [(c.id, c.seconds_left) for c in countdowns] == [(ids["a2"], -15 * 60), (ids["a1"], 20 * 60),
                                                            (ids["a4"], 40 * 60)]
    assert countdowns[1].emergency
    assert countdowns[0].respond_by == at(11, 10, 5).astimezone(UTC)


def test_the_urgent_cases(store: CaseStore, ids: dict[str, int], kb: KnowledgeBase) -> None:
    assert [(u.id, u.emergency) for u in picture(store, kb).urgent] == [(ids["a1"], True)]


def test_a_department_sees_its_own_cases_only(store: CaseStore, ids: dict[str, int], kb: KnowledgeBase) -> None:
    s = picture(store, kb, TP)
    assert s.department == TP
    assert (s.open, s.overdue, s.waiting) == (2, 1, 1)
    assert {p.id for p in s.points} == {ids["a3"], ids["a4"]}
    assert [d.id for d in s.departments] == [TP]
    assert [c.id for c in s.countdowns] == [ids["a4"]]
    assert s.urgent == []
    assert [h.today for h in s.hourly[:11]] == [0] * 10 + [1]
    assert {h.hour: h.week_average for h in s.hourly if h.week_average} == {0: round(1 / 7, 2), 9: round(1 / 7, 2)}


def test_an_empty_store(store: CaseStore, kb: KnowledgeBase) -> None:
    s = picture(store, kb)
    assert (s.open, s.overdue, s.waiting, s.points, s.countdowns) == (0, 0, 0, [], [])
    assert sum(h.today or 0 for h in s.hourly) == 0


def test_a_grid_sees_its_own_cases_only(store: CaseStore, ids: dict[str, int], gridded: KnowledgeBase) -> None:
    s = picture(store, gridded, grid=G1)
    assert (s.grid, s.open, s.overdue, s.waiting) == (G1, 2, 0, 2)
    assert [p.id for p in s.points] == [ids["a1"], ids["a2"]]
    assert [(g.id, g.open) for g in s.grids] == [(G1, 2)]
