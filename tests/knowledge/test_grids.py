"""The grid layer: `kb check` of good and broken layers, and place → grid (precedence, borders, the
street's grids when there is no point)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from core.messages import Message
from core.settings import GridSettings
from knowledge.grid_checks import check_grids, grid_report
from knowledge.grid_layer import read_grids
from knowledge.grids import GridIndex
from knowledge.loader import KnowledgeBase
from knowledge.places import PlaceResolver
from knowledge.reading import KBProblem, KBReader
from knowledge.schema import Grid

pytestmark = pytest.mark.unit

LAT0, LON0 = 34.750, 113.660  # 德化街街道's centre (34.756, 113.666) lies 670 m north-east of here
STREET = "erqi.dehua-street"
KX, KY = 111_320.0 * math.cos(math.radians(LAT0)), 110_574.0


def at(x: float, y: float) -> tuple[float, float]:
    """(lat, lon) of the point `x` metres east and `y` north of (LAT0, LON0)."""
    return LAT0 + y / KY, LON0 + x / KX


def square(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
    return [[at(x, y)[1], at(x, y)[0]] for x, y in ring]


def feature(gid: str, level: str, ring: list[list[float]], parent: str | None = None, street: str | None = STREET,
            streets: list[str] | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"id": gid, "name": f"网格{gid}", "level": level,
                             "members": [{"role": "网格员", "name": "张网格员", "duty_hours": "08:00-20:00",
                                          "contact": "0371-0000-0001"}]}
    if parent:
        props["parent"] = parent
    if level == "exclusive":
        props["streets"] = streets or [STREET]
    elif street:
        props["street"] = street
    return {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def good_layer() -> list[dict[str, Any]]:
    """Two communities side by side (1.5 km × 1.5 km each), the first cut into two grids, a micro-grid
    in the first grid, and an exclusive grid over the communities' shared edge."""
    return [
        feature("c1", "community", square(0, 0, 1500, 1500)),
        feature("c2", "community", square(1500, 0, 3000, 1500)),
        feature("c1.g1", "grid", square(0, 0, 750, 1500), parent="c1"),
        feature("c1.g2", "grid", square(750, 0, 1500, 1500), parent="c1"),
        feature("c1.g1.m1", "micro", square(200, 200, 320, 320), parent="c1.g1"),
        feature("x", "exclusive", square(1300, 1000, 1900, 1400)),
    ]


def checked(tmp_path: Path, kb: KnowledgeBase, features: list[dict[str, Any]]) -> tuple[list[KBProblem], list[Grid]]:
    (tmp_path / "grids.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                                            encoding="utf-8")
    r = KBReader(tmp_path)
    grids = read_grids(r)
    check_grids(r, grids, kb.streets.values())
    return r.problems, grids


def texts(problems: list[KBProblem]) -> str:
    return "\n".join(str(p) for p in problems)


# ---- kb check ------------------------------------------------------------------------------------
def test_a_good_layer_has_no_problems(tmp_path: Path, kb: KnowledgeBase) -> None:
    problems, grids = checked(tmp_path, kb, good_layer())
    assert problems == []
    assert len(grids) == 6


def test_the_bundled_layer_loads_and_meets_the_issue(kb: KnowledgeBase) -> None:
    grids = kb.grids
    assert len(grids) >= 40
    exclusive = {g.name for g in grids.values() if g.level == "exclusive" and not g.parent}
    assert {"二七塔商圈专属网格", "CBD文化会展专属网格", "正弘商圈专属网格"} <= exclusive
    assert sum(g.parent == "x.erqi-tower" for g in grids.values()) == 24
    districts = {kb.streets[s].district for g in grids.values() if g.level != "exclusive" for s in g.street_ids}
    assert districts == {"erqi", "jinshui", "guancheng", "zhengdong"}
    assert all(m.contact and "-0000-" in m.contact for g in grids.values() for m in g.members)  # clearly made up


def test_an_open_ring_is_a_problem(tmp_path: Path, kb: KnowledgeBase) -> None:
    layer = good_layer()
    layer[2]["geometry"]["coordinates"][0].pop()  # the ring no longer ends where it starts
    problems, _ = checked(tmp_path, kb, layer)
    assert any(p.file == "grids.geojson" and p.entry == "grids c1.g1" and "not closed" in p.problem for p in problems)


def test_a_self_crossing_polygon_is_a_problem(tmp_path: Path, kb: KnowledgeBase) -> None:
    bow_tie = [[at(x, y)[1], at(x, y)[0]] for x, y in ((0, 0), (100, 100), (100, 0), (0, 100), (0, 0))]
    problems, _ = checked(tmp_path, kb, [*good_layer(), feature("c3", "community", bow_tie)])
    assert "grids c3: not a valid polygon: Self-intersection" in texts(problems)


def test_an_unknown_parent_and_a_parent_of_the_wrong_level_are_problems(tmp_path: Path, kb: KnowledgeBase) -> None:
    layer = [*good_layer(), feature("c1.g9", "grid", square(0, 0, 100, 100), parent="nowhere"),
             feature("c1.m9", "micro", square(0, 0, 100, 100), parent="c1")]
    problems = texts(checked(tmp_path, kb, layer)[0])
    assert "grids c1.g9: unknown parent 'nowhere'" in problems
    assert "grids c1.m9: the parent of a micro grid must be a grid grid; 'c1' is community" in problems


def test_a_child_on_another_street_or_outside_its_parent_is_a_problem(tmp_path: Path, kb: KnowledgeBase) -> None:
    layer = [*good_layer(), feature("c1.g3", "grid", square(1400, 0, 1600, 100), parent="c1",
                                    street="erqi.yima-road")]
    problems = texts(checked(tmp_path, kb, layer)[0])
    assert "grids c1.g3: is on street 'erqi.yima-road' but its parent 'c1' is on 'erqi.dehua-street'" in problems
    assert re.search(r"grids c1\.g3: lies (99\d\d|100\d\d) m² outside its parent 'c1'", problems)  # 100 m × 100 m
    assert "street erqi.yima-road: its centre" in problems  # and it leaves 一马路街道's centre uncovered


def test_a_gap_where_the_street_centre_is_is_a_problem(tmp_path: Path, kb: KnowledgeBase) -> None:
    layer = [f for f in good_layer() if f["properties"]["id"] not in ("c2", "x")]
    layer[0] = feature("c1", "community", square(0, 0, 600, 600))  # 德化街's centre is 670 m north-east
    layer = [f for f in layer if f["properties"]["id"] in ("c1",)]
    problems = texts(checked(tmp_path, kb, layer)[0])
    assert ("street erqi.dehua-street: its centre [34.756, 113.666] (places.yaml) lies in none of its 1 grids"
            in problems)


def test_exclusive_grids_spanning_streets_and_overlapping_are_reported_not_refused(tmp_path: Path,
                                                                                   kb: KnowledgeBase) -> None:
    layer = [*good_layer(), feature("c9", "community", square(1500, 1500, 3000, 3000), street="erqi.yima-road"),
             feature("y", "exclusive", square(1600, 1100, 2000, 1600), streets=[STREET])]
    problems, grids = checked(tmp_path, kb, layer)
    assert "grids c9" not in texts(problems)
    notes = [n.text("en") for n in grid_report({g.id: g for g in grids}, kb.streets, kb.districts)]
    assert any(n.startswith("Exclusive grid 网格y (y) spans 1 district(s) and 2 streets") for n in notes)
    assert "Exclusive grid y overlaps community grids of streets its `streets` does not name: erqi.yima-road" in notes
    assert "Exclusive grids 网格x and 网格y overlap" in notes


def test_the_bundled_erqi_tower_grid_is_reported_across_three_districts(kb: KnowledgeBase) -> None:
    notes: list[Message] = grid_report(kb.grids, kb.streets, kb.districts)
    spans = [n for n in notes if n.code == "kb.grid_exclusive_spans" and n.values["id"] == "x.erqi-tower"]
    assert len(spans) == 1
    assert spans[0].values["districts"] == 3
    assert {"二七区", "金水区", "管城回族区"} <= set(spans[0].values["district_names"].split("、"))


# ---- place → grid --------------------------------------------------------------------------------
@pytest.fixture
def index(tmp_path: Path, kb: KnowledgeBase) -> GridIndex:
    problems, grids = checked(tmp_path, kb, good_layer())
    assert problems == []
    return GridIndex({g.id: g for g in grids})


def owner(index: GridIndex, x: float, y: float) -> str | None:
    found = index.locate(*at(x, y))
    return found.grid.id if found.grid else None


def test_the_most_specific_grid_wins_and_exclusive_comes_before_community(index: GridIndex) -> None:
    assert owner(index, 260, 260) == "c1.g1.m1"  # micro > grid > community
    assert index.locate(*at(260, 260)).containing == ("c1.g1.m1", "c1.g1", "c1")
    assert owner(index, 400, 700) == "c1.g1"
    assert owner(index, 2500, 500) == "c2"  # a community without grids
    assert owner(index, 1700, 1200) == "x"  # exclusive > community
    assert owner(index, 1400, 1200) == "c1.g2"  # grid > exclusive (the default precedence)


def test_the_precedence_is_a_setting(tmp_path: Path, kb: KnowledgeBase) -> None:
    _, grids = checked(tmp_path, kb, good_layer())
    index = GridIndex({g.id: g for g in grids}, GridSettings(precedence=("micro", "exclusive", "grid", "community")))
    assert owner(index, 1400, 1200) == "x"
    with pytest.raises(ValueError, match="precedence must name"):
        GridSettings(precedence=("micro", "grid", "community"))


@pytest.mark.parametrize(("x", "y", "winner"), [(750, 700, None), (740, 700, "c1.g1"), (760, 700, "c1.g2")])
def test_a_point_on_or_near_a_border_lists_both_grids(index: GridIndex, x: float, y: float, winner: str | None) -> None:
    found = index.locate(*at(x, y))
    assert found.border
    assert {g.id for g in found.candidates} == {"c1.g1", "c1.g2"}
    assert found.grid is not None
    assert found.candidates[0] == found.grid
    assert winner is None or found.grid.id == winner


def test_a_border_between_a_grid_and_the_next_community(index: GridIndex) -> None:
    found = index.locate(*at(1490, 300))  # c1.g2's east edge is c2's west edge
    assert found.grid is not None
    assert found.grid.id == "c1.g2"
    assert [g.id for g in found.candidates] == ["c1.g2", "c2"]


def test_no_border_beyond_the_distance_or_with_a_parent(index: GridIndex) -> None:
    assert not index.locate(*at(700, 700)).border  # 50 m from c1.g2
    assert not index.locate(*at(300, 330)).border  # 10 m from its own micro-grid: one family
    assert not index.locate(*at(10, 700)).border  # 10 m from the layer's edge: nobody's beyond


def test_the_border_distance_is_a_setting(tmp_path: Path, kb: KnowledgeBase) -> None:
    _, grids = checked(tmp_path, kb, good_layer())
    tight = GridIndex({g.id: g for g in grids}, GridSettings(border_metres=5))
    assert not tight.locate(*at(740, 700)).border
    assert tight.locate(*at(748, 700)).border


def test_points_just_outside_belong_to_the_nearest_grid_and_far_ones_to_none(index: GridIndex) -> None:
    assert owner(index, -10, 700) == "c1.g1"
    assert index.locate(*at(-500, 700)).grid is None
    assert GridIndex({}).locate(34.75, 113.66).grid is None


def test_with_no_usable_point_the_street_grids_are_the_candidates(kb: KnowledgeBase) -> None:
    resolver = PlaceResolver(kb, GridIndex(kb.grids))
    street_only = resolver.resolve("德化街街道这边的路灯坏了")
    assert street_only.street is not None
    assert street_only.street.id == STREET
    assert street_only.grid is None
    assert not street_only.grid_border
    assert [g.id for g in street_only.grid_candidates] == sorted(
        g.id for g in kb.grids.values() if g.level == "community" and g.street == STREET)
    at_tower = resolver.resolve("二七纪念塔下面的垃圾桶满了")  # the landmark's centre is the point
    assert at_tower.grid is not None
    assert at_tower.grid.id.startswith("x.erqi-tower.")
    assert at_tower.grid.members
    assert at_tower.grid.members[0].contact
    pinned = resolver.resolve("这里的路灯坏了", lat=34.7885, lon=113.6855)  # a map pin at 正弘城
    assert pinned.grid is not None
    assert pinned.grid.id == "x.zhenghong"
    assert PlaceResolver(kb).resolve("二七纪念塔下面的垃圾桶满了").grid is None  # no index, no grid
