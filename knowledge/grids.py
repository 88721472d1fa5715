"""Place → grid: the grids containing a point, through an STR-tree over the grid layer's polygons.

Where several grids contain the point, the settings' `precedence` of levels decides (by default
micro before grid before exclusive before community), then the deeper grid, then the smaller one.
A point is on a border when another grid owns some spot within `border_metres` of it (a neighbour
of the winning grid, not its parent or child): both grids are listed, to handle jointly. A point in
no grid but within `border_metres` of some belongs to the grid that owns the spots around it."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import Point

from core.component import LoadOnce
from core.frozen import Frozen
from core.settings import GridSettings
from core.types import GridMemberRef, GridRef, Place
from knowledge.grid_layer import LocalMetres
from knowledge.schema import Grid

SNAP_METRES = 0.5  # a point this close to a grid is in it: slivers between digitised neighbours are noise
_PROBES = 12  # points on the circle of `border_metres` around a point: borders within 97% of it are seen
_COS = np.cos(np.linspace(0, 2 * np.pi, _PROBES, endpoint=False))
_SIN = np.sin(np.linspace(0, 2 * np.pi, _PROBES, endpoint=False))


class GridLocation(Frozen):
    """The grids of one point: the one that owns it, and, on a border, every grid that may (the
    owner first). `containing` lists every grid the point lies in, the owner first."""

    grid: GridRef | None = None
    candidates: tuple[GridRef, ...] = ()
    border: bool = False
    containing: tuple[str, ...] = ()


def grid_ref(grid: Grid) -> GridRef:
    return GridRef(id=grid.id, name=grid.name, level=grid.level,
                   members=tuple(GridMemberRef(**m.model_dump()) for m in grid.members))


class GridIndex(LoadOnce):
    def __init__(self, grids: Mapping[str, Grid], settings: GridSettings | None = None) -> None:
        super().__init__()
        self.grids = grids
        self.settings = settings or GridSettings()
        self._tree: STRtree | None = None

    def _load(self) -> None:
        items = list(self.grids.values())
        self._plane = LocalMetres.around(items)
        self._shapes = [self._plane.shape(g.geometry) for g in items]
        shapely.prepare(self._shapes)
        self._refs = [grid_ref(g) for g in items]
        position = {g.id: i for i, g in enumerate(items)}
        self._lineage: list[frozenset[int]] = []
        for g in items:
            chain, current, seen = [], g, {g.id}
            while current.parent in position and current.parent not in seen:
                seen.add(current.parent)
                chain.append(position[current.parent])
                current = self.grids[current.parent]
            self._lineage.append(frozenset(chain))
        order = {level: n for n, level in enumerate(self.settings.precedence)}
        self._rank = [(order[g.level], -len(self._lineage[i]), float(self._shapes[i].area))
                      for i, g in enumerate(items)]
        by_street: dict[str, list[int]] = {}
        for i, g in enumerate(items):
            if g.level == "community" and g.street:
                by_street.setdefault(g.street, []).append(i)
        self._street_grids = {s: tuple(self._refs[i] for i in sorted(ix, key=lambda i: items[i].id))
                              for s, ix in by_street.items()}
        self._tree = STRtree(self._shapes) if items else None

    def locate(self, lat: float, lon: float) -> GridLocation:
        self.warm_up()
        if self._tree is None:
            return GridLocation()
        x, y = self._plane.point(lat, lon)
        point = Point(x, y)
        reach = self.settings.border_metres
        inside = sorted((int(i) for i in self._tree.query(point, predicate="dwithin", distance=SNAP_METRES)),
                        key=self._rank.__getitem__)
        near = [int(i) for i in self._tree.query(point, predicate="dwithin", distance=reach)] if reach else inside
        # The owners of points `reach` metres around this one: a different owner there, neither the
        # winner's parent nor its child, is a neighbour across a border.
        owners = self._owners(near, x + reach * _COS, y + reach * _SIN) if reach and near else []
        winner = inside[0] if inside else min(owners, key=self._rank.__getitem__, default=None)
        if winner is None:
            return GridLocation()
        rivals = sorted({i for i in owners if i != winner and i not in self._lineage[winner]
                         and winner not in self._lineage[i]}, key=self._rank.__getitem__)
        return GridLocation(grid=self._refs[winner], border=bool(rivals),
                            candidates=tuple(self._refs[i] for i in (winner, *rivals)) if rivals else (),
                            containing=tuple(self._refs[i].id for i in inside))

    def _owners(self, grids: list[int], xs: np.ndarray, ys: np.ndarray) -> list[int]:
        """The owning grid (of `grids`) of each point (xs[k], ys[k]) that lies in one."""
        hits = np.array([shapely.intersects_xy(self._shapes[i], xs, ys) for i in grids])
        ranked = sorted(range(len(grids)), key=lambda n: self._rank[grids[n]])
        owners = []
        for k in range(len(xs)):
            first = next((grids[n] for n in ranked if hits[n, k]), None)
            if first is not None:
                owners.append(first)
        return owners

    def street_grids(self, street_id: str) -> tuple[GridRef, ...]:
        """A street's community grids, by id: the candidates for a report placed on the street only."""
        self.warm_up()
        return self._street_grids.get(street_id, ())

    def place(self, place: Place, point: tuple[float, float] | None) -> Place:
        """`place` with its grid: the grid of `point` (a pin, a photo's GPS or a landmark's centre),
        else the grids of its street as candidates."""
        if point is not None:
            found = self.locate(*point)
            if found.grid is not None:
                return place.model_copy(update={"grid": found.grid, "grid_candidates": found.candidates,
                                                "grid_border": found.border})
        if place.street is not None:
            return place.model_copy(update={"grid_candidates": self.street_grids(place.street.id)})
        return place
