"""grids.geojson: reading its features into `Grid` entries, and their polygons in local metres.

The file is a GeoJSON FeatureCollection; each feature's `properties` are a `Grid` without its
geometry, and its geometry a Polygon or MultiPolygon in [lon, lat] order. Distances and areas are
measured in a local plane (metres east and north, scaled at the layer's mean latitude), accurate to
well under a metre across a city."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pydantic import ValidationError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from knowledge.reading import KBReader, _describe, _entry_name
from knowledge.schema import Grid

GRIDS_FILE = "grids.geojson"
METRES_PER_DEGREE_LAT = 110_574.0
METRES_PER_DEGREE_LON_AT_EQUATOR = 111_320.0


@dataclass(frozen=True)
class LocalMetres:
    """An equirectangular plane around `lat0`: x metres east, y metres north."""

    lat0: float

    @property
    def scale(self) -> tuple[float, float]:
        return METRES_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians(self.lat0)), METRES_PER_DEGREE_LAT

    def point(self, lat: float, lon: float) -> tuple[float, float]:
        kx, ky = self.scale
        return lon * kx, lat * ky

    def shape(self, geometry: Mapping[str, Any]) -> BaseGeometry:
        factor = np.array(self.scale)
        return shapely.transform(shape(dict(geometry)), lambda xy: xy * factor)

    @classmethod
    def around(cls, grids: Iterable[Grid]) -> LocalMetres:
        """The plane at the mean latitude of the grids' first positions (the equator when there are none)."""
        lats = [_first_position(g.geometry)[1] for g in grids]
        return cls(sum(lats) / len(lats) if lats else 0.0)


def _first_position(geometry: Mapping[str, Any]) -> list[float]:
    coords: Any = geometry["coordinates"]
    while isinstance(coords[0], list):
        coords = coords[0]
    return [float(c) for c in coords]


def read_grids(r: KBReader) -> list[Grid]:
    """The grids of the folder's grids.geojson (none when it has no such file); every problem goes to `r`."""
    path = r.directory / GRIDS_FILE
    if not path.is_file():
        return []
    data = path.read_bytes()
    r.hasher.update(GRIDS_FILE.encode() + b"\0" + data)
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        r.problem(GRIDS_FILE, "(file)", f"not valid JSON: {exc}")
        return []
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        r.problem(GRIDS_FILE, "(file)", "must be a GeoJSON FeatureCollection with a `features` list")
        return []
    out: list[Grid] = []
    for i, feature in enumerate(doc["features"]):
        props = feature.get("properties") if isinstance(feature, dict) else None
        entry = f"grids {_entry_name(props, i)}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature" or not isinstance(props, dict):
            r.problem(GRIDS_FILE, entry, "must be a GeoJSON Feature with a `properties` mapping")
            continue
        problems = geometry_problems(feature.get("geometry"))
        for text in problems:
            r.problem(GRIDS_FILE, entry, text)
        if problems:
            continue
        try:
            out.append(Grid.model_validate({**props, "geometry": feature["geometry"]}))
        except ValidationError as exc:
            for text in _describe(exc):
                r.problem(GRIDS_FILE, entry, text)
    return out


def geometry_problems(geometry: object) -> list[str]:
    """What makes `geometry` unusable as a grid's area: not a (Multi)Polygon, a malformed or open ring,
    a position outside [-180, 180] × [-90, 90], or an invalid polygon (self-crossing, …)."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return ["geometry must be a GeoJSON Polygon or MultiPolygon"]
    coords = geometry.get("coordinates")
    polygons = [coords] if geometry["type"] == "Polygon" else coords
    if not isinstance(polygons, list) or not polygons:
        return ["geometry has no coordinates"]
    problems: list[str] = []
    for p, rings in enumerate(polygons):
        if not isinstance(rings, list) or not rings:
            problems.append(f"polygon {p + 1} has no rings")
            continue
        for n, ring in enumerate(rings):
            problems.extend(_ring_problems(ring, f"polygon {p + 1} ring {n + 1}"))
    if problems:
        return problems
    polygon = shape(geometry)
    if not polygon.is_valid:
        return [f"not a valid polygon: {explain_validity(polygon)}"]
    if polygon.area == 0:
        return ["the polygon has no area"]
    return []


def _ring_problems(ring: object, where: str) -> list[str]:
    if not isinstance(ring, list) or not all(_is_position(pos) for pos in ring):
        return [f"{where} must be a list of [lon, lat] positions"]
    if len(ring) < 4:
        return [f"{where} has {len(ring)} positions; a closed ring needs at least 4"]
    if list(ring[0][:2]) != list(ring[-1][:2]):
        return [f"{where} is not closed: it starts at {ring[0][:2]} and ends at {ring[-1][:2]}"]
    outside = [pos for pos in ring if not (-180 <= pos[0] <= 180 and -90 <= pos[1] <= 90)]
    if outside:
        return [f"{where} has a position outside [lon, lat] bounds: {outside[0][:2]} (is it [lat, lon]?)"]
    return []


def _is_position(pos: object) -> bool:
    return (isinstance(pos, list) and len(pos) >= 2
            and all(isinstance(c, int | float) and not isinstance(c, bool) for c in pos[:2]))
