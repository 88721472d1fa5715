"""Checks of the grid layer against itself and places.yaml, and what it reports without failing.

Problems: parents that are missing or of the wrong level (micro → grid → community; an exclusive
grid's parent, if any, is exclusive), a child on another street than its parent or outside its
parent's area, unknown streets, and a covered street whose centre lies in none of its grids.
A street counts as covered when a community, grid or micro grid names it as its `street`; exclusive
grids cover no street of their own. Information: the exclusive grids that span several streets or
districts, and those that overlap one another (宁可交叉重叠，绝不失控漏管: by design, not errors)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from core.messages import Message, message
from knowledge.grid_layer import GRIDS_FILE, LocalMetres
from knowledge.reading import KBReader
from knowledge.schema import District, Grid, Street

PARENT_LEVEL = {"community": None, "grid": "community", "micro": "grid"}
SHARED_EDGE_M = 0.5  # a child may stray this far outside its parent (rounding of shared edges)
OVERLAP_M2 = 1.0  # an overlap smaller than this is a shared edge, not an overlap


def check_grids(r: KBReader, grids: list[Grid], streets: Iterable[Street]) -> None:
    r.unique(GRIDS_FILE, "grid", (g.id for g in grids))
    by_id = {g.id: g for g in grids}
    street_map = {s.id: s for s in streets}
    for g in grids:
        _check_fields(r, g, by_id, street_map)
    plane = LocalMetres.around(grids)
    shapes = {g.id: plane.shape(g.geometry) for g in grids}
    for g in grids:
        parent = shapes.get(g.parent or "")
        if parent is not None and g.parent != g.id:
            stray = shapes[g.id].difference(parent.buffer(SHARED_EDGE_M)).area
            if stray > OVERLAP_M2:
                r.problem(GRIDS_FILE, f"grids {g.id}", f"lies {stray:.0f} m² outside its parent '{g.parent}'")
    _check_coverage(r, grids, street_map, shapes, plane)


def _check_fields(r: KBReader, g: Grid, by_id: Mapping[str, Grid], streets: Mapping[str, Street]) -> None:
    where = f"grids {g.id}"
    for sid in g.street_ids:
        if sid not in streets:
            r.problem(GRIDS_FILE, where, f"unknown street '{sid}' (places.yaml)")
    if g.level == "exclusive" and not g.street_ids:
        r.problem(GRIDS_FILE, where, "an exclusive grid needs `streets`: every street it touches")
    elif g.level != "exclusive" and (not g.street or g.streets):
        r.problem(GRIDS_FILE, where, f"a {g.level} grid needs one `street` (only exclusive grids have `streets`)")
    parent = by_id.get(g.parent) if g.parent else None
    if g.parent and parent is None:
        r.problem(GRIDS_FILE, where, f"unknown parent '{g.parent}'")
    elif g.level == "exclusive":
        _check_exclusive_parent(r, g, parent, by_id)
    else:
        _check_parent(r, g, parent)


def _check_parent(r: KBReader, g: Grid, parent: Grid | None) -> None:
    """micro → grid → community, on the same street; a community grid has no parent."""
    where, wanted = f"grids {g.id}", PARENT_LEVEL[g.level]
    if wanted is None:
        if parent is not None:
            r.problem(GRIDS_FILE, where, "a community grid has no parent")
    elif parent is None:
        r.problem(GRIDS_FILE, where, f"a {g.level} grid needs a `parent`: its {wanted} grid")
    elif parent.level != wanted:
        r.problem(GRIDS_FILE, where, f"the parent of a {g.level} grid must be a {wanted} grid; "
                                     f"'{parent.id}' is {parent.level}")
    elif parent.street != g.street:
        r.problem(GRIDS_FILE, where, f"is on street '{g.street}' but its parent '{parent.id}' is on '{parent.street}'")


def _check_exclusive_parent(r: KBReader, g: Grid, parent: Grid | None, by_id: Mapping[str, Grid]) -> None:
    """An exclusive grid divided into exclusive grids: the parts name only streets the whole does."""
    where = f"grids {g.id}"
    if parent is not None and parent.level != "exclusive":
        r.problem(GRIDS_FILE, where, f"an exclusive grid's parent must be exclusive; '{parent.id}' is {parent.level}")
    elif parent is not None and not set(g.street_ids) <= set(parent.street_ids):
        r.problem(GRIDS_FILE, where, f"names streets its parent '{parent.id}' does not: "
                                     f"{sorted(set(g.street_ids) - set(parent.street_ids))}")
    _check_cycle(r, g, by_id)


def _check_cycle(r: KBReader, g: Grid, by_id: Mapping[str, Grid]) -> None:
    seen = {g.id}
    current = g
    while current.parent and current.parent in by_id:
        if current.parent in seen:
            r.problem(GRIDS_FILE, f"grids {g.id}", "its parents form a loop")
            return
        seen.add(current.parent)
        current = by_id[current.parent]


def _check_coverage(r: KBReader, grids: list[Grid], streets: Mapping[str, Street],
                    shapes: Mapping[str, BaseGeometry], plane: LocalMetres) -> None:
    """Each covered street's centre lies in one of its own (non-exclusive) grids."""
    own: dict[str, list[str]] = {}
    for g in grids:
        if g.level != "exclusive" and g.street and g.street in streets:
            own.setdefault(g.street, []).append(g.id)
    for sid, ids in sorted(own.items()):
        center = streets[sid].center
        if center is None:
            continue  # nothing to check it against; `kb check` counts such streets
        point = Point(plane.point(*center))
        if not any(shapes[i].covers(point) for i in ids):
            r.problem(GRIDS_FILE, f"street {sid}", f"its centre {list(center)} (places.yaml) lies in none of its "
                                                   f"{len(ids)} grids: they leave a gap in the street")


def grid_report(grids: Mapping[str, Grid], streets: Mapping[str, Street],
                districts: Mapping[str, District]) -> list[Message]:
    """What `kb check` says about a loaded grid layer beyond its problems: the streets it covers, and
    the exclusive grids that span several streets or districts or overlap each other."""
    if not grids:
        return []
    plane = LocalMetres.around(grids.values())
    shapes = {g.id: plane.shape(g.geometry) for g in grids.values()}
    covered = sorted({g.street for g in grids.values() if g.level != "exclusive" and g.street})
    levels = {level: sum(g.level == level for g in grids.values()) for level in ("community", "grid", "micro",
                                                                                  "exclusive")}
    notes = [message("kb.grids_summary", grids=len(grids), streets=len(covered), **levels,
                     unchecked=sum(streets[s].center is None for s in covered if s in streets))]
    communities = [g for g in grids.values() if g.level == "community"]
    tops = [g for g in grids.values() if g.level == "exclusive" and not g.parent]
    for g in tops:
        touched = sorted({c.street for c in communities
                          if c.street and shapes[g.id].intersection(shapes[c.id]).area > OVERLAP_M2})
        spanned = sorted(set(touched) | set(g.street_ids))
        spanned_districts = sorted({streets[s].district for s in spanned if s in streets})
        if len(spanned) > 1 or len(spanned_districts) > 1:
            notes.append(message("kb.grid_exclusive_spans", id=g.id, name=g.name, districts=len(spanned_districts),
                                 streets=len(spanned), district_names=_names(spanned_districts, districts),
                                 street_names=_names(spanned, streets)))
        unnamed = sorted(set(touched) - set(g.street_ids))
        if unnamed:
            notes.append(message("kb.grid_exclusive_unnamed", id=g.id, streets="、".join(unnamed)))
    for i, a in enumerate(tops):
        for b in tops[i + 1:]:
            if shapes[a.id].intersection(shapes[b.id]).area > OVERLAP_M2:
                notes.append(message("kb.grid_exclusive_overlap", a=a.name, b=b.name))
    return notes


def _names(ids: Iterable[str], places: Mapping[str, District] | Mapping[str, Street]) -> str:
    return "、".join(places[i].name if i in places else i for i in ids)
