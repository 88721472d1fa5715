"""Modes per area: which grids cover a place (its grid, the grid's parents, the border candidates),
and the most urgent mode among the city's and theirs, for the case's category and priority."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent.deadlines import area_mode, compute_deadlines, covering_grids, most_urgent_mode
from knowledge.loader import KnowledgeBase

pytestmark = pytest.mark.unit

AT = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)
DISPUTE = "community.neighbour-dispute"
MICRO_PLACE = {"grid": {"id": "erqi.daxue-road.c1.g1", "name": "大学路第一社区第1网格", "level": "grid", "members": []},
               "grid_candidates": [{"id": "x.erqi-tower", "name": "二七塔商圈专属网格", "level": "exclusive"}],
               "grid_border": True}


def test_covering_grids_are_the_grid_its_parents_and_the_border_candidates(kb: KnowledgeBase) -> None:
    assert covering_grids(kb, MICRO_PLACE) == ["erqi.daxue-road.c1.g1", "erqi.daxue-road.c1", "x.erqi-tower"]
    assert covering_grids(kb, {"grid": None, "grid_candidates": ["x.erqi-tower"]}) == ["x.erqi-tower"]
    assert covering_grids(kb, {}) == []


def test_the_most_urgent_mode_has_the_earliest_respond_by(kb: KnowledgeBase) -> None:
    for priority in ("urgent", "high", "normal", "low"):
        assert most_urgent_mode(kb, ["normal", "emergency"], DISPUTE, priority, AT) == "emergency"
        assert most_urgent_mode(kb, ["holiday", "major-event"], DISPUTE, priority, AT) == "major-event"
    # equal deadlines for this case (the category's own limits are tighter than both modes'): the mode
    # the policy lists later wins
    manhole = "municipal.manhole-cover"  # respond 5 min, resolve 4 h of its own
    normal = compute_deadlines(kb, "normal", manhole, "low", AT)
    holiday = compute_deadlines(kb, "holiday", manhole, "low", AT)
    assert (normal.respond_by, normal.resolve_by) == (holiday.respond_by, holiday.resolve_by)
    assert most_urgent_mode(kb, ["holiday", "normal"], manhole, "low", AT) == "holiday"


def test_a_grid_mode_applies_through_its_parent_and_on_the_border(kb: KnowledgeBase) -> None:
    assert area_mode(kb, "normal", {}, MICRO_PLACE, DISPUTE, "normal", AT) == "normal"
    assert area_mode(kb, "normal", {"erqi.daxue-road.c1": "emergency"}, MICRO_PLACE, DISPUTE, "normal",
                     AT) == "emergency"
    assert area_mode(kb, "normal", {"x.erqi-tower": "major-event"}, MICRO_PLACE, DISPUTE, "normal",
                     AT) == "major-event"
    assert area_mode(kb, "normal", {"x.cbd-expo": "emergency"}, MICRO_PLACE, DISPUTE, "normal", AT) == "normal"
    # a quieter grid never loosens the city's mode
    assert area_mode(kb, "emergency", {"erqi.daxue-road.c1.g1": "normal"}, MICRO_PLACE, DISPUTE, "normal",
                     AT) == "emergency"
    emergency = compute_deadlines(kb, "emergency", DISPUTE, "normal", AT)
    assert emergency.respond_by - AT == timedelta(minutes=15)
