"""The situation picture for the JSON route and the pages: the store's figures scoped to the caller
(a department sees only its own cases), and the map's base layer drawn from the knowledge base: the
grids' polygons (no contacts) and the districts' and streets' names at their centres. No tile
server: the layer is everything the map draws under the cases, so it works with no network."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from agent.store.keys import ApiClient
from agent.store.situation import situation_figures
from api.responses import Public
from api.service import TriageService
from core.situation import Situation
from knowledge.loader import KnowledgeBase


class SituationPublic(Situation):
    """The situation picture (一屏观全域) at `as_of`: open cases as points, open and overdue cases per
    grid, street and lead department, today's cases per hour of the city's day beside the mean of the
    same hour over the past seven days, the cases waiting for their first response (soonest respond-by
    first) and the open urgent cases. A department's key or user gets its own cases only, a grid's
    (网格员) its grid's."""


class MapLabel(Public):
    kind: Literal["district", "street"]
    id: str
    name: str
    lat: float
    lon: float


class MapLayerPublic(Public):
    """What the map draws under the cases: the grids as a GeoJSON FeatureCollection ([lon, lat] in
    `coordinate_system`) and the names of districts and streets at their centres ([lat, lon])."""

    coordinate_system: str
    grids: dict[str, Any]
    labels: list[MapLabel]
    bounds: list[list[float]] | None  # [[south, west], [north, east]] of the grids, else of the labels


def situation(triage: TriageService, client: ApiClient | None) -> SituationPublic:
    """The picture `client` may see: a department's cases for a department, a grid's for a grid."""
    department, grid = client.scope if client is not None else (None, None)
    figures = situation_figures(triage.pipeline.store, triage.pipeline.models.kb, department, grid)
    return SituationPublic(**dict(figures))


_layers: dict[str, MapLayerPublic] = {}


def map_layer(kb: KnowledgeBase) -> MapLayerPublic:
    """The base layer of `kb`, built once per knowledge base."""
    if kb.digest not in _layers:
        _layers[kb.digest] = _build_layer(kb)
    return _layers[kb.digest]


def _build_layer(kb: KnowledgeBase) -> MapLayerPublic:
    features = [{"type": "Feature", "id": g.id, "geometry": g.geometry,
                 "properties": {"id": g.id, "name": g.name, "level": g.level, "parent": g.parent,
                                "street": g.street, "streets": list(g.streets),
                                "members": [{"role": m.role, "name": m.name} for m in g.members]}}
                for g in kb.grids.values()]
    labels = [MapLabel(kind="district", id=d.id, name=d.name, lat=d.center[0], lon=d.center[1])
              for d in kb.districts.values() if d.center]
    labels += [MapLabel(kind="street", id=s.id, name=s.name, lat=s.center[0], lon=s.center[1])
               for s in kb.streets.values() if s.center]
    corners = [(lat, lon) for g in kb.grids.values() for lon, lat in _positions(g.geometry.get("coordinates"))]
    corners = corners or [(label.lat, label.lon) for label in labels]
    bounds = ([[min(c[0] for c in corners), min(c[1] for c in corners)],
               [max(c[0] for c in corners), max(c[1] for c in corners)]] if corners else None)
    return MapLayerPublic(coordinate_system=kb.coordinate_system, labels=labels, bounds=bounds,
                          grids={"type": "FeatureCollection", "features": features})


def _positions(coordinates: Any) -> Iterator[tuple[float, float]]:
    """Every [lon, lat] position of a Polygon's or MultiPolygon's nested coordinate lists."""
    if isinstance(coordinates, list | tuple) and len(coordinates) >= 2 and all(
            isinstance(c, int | float) for c in coordinates[:2]):
        yield float(coordinates[0]), float(coordinates[1])
    elif isinstance(coordinates, list | tuple):
        for part in coordinates:
            yield from _positions(part)
