"""Place → grid lookup latency on a generated city-sized layer (`gridtriage bench grids`).

The layer is a lattice around Zhengzhou's latitude: square community grids 500 m a side, each cut
into 4 × 5 grids, a 40 m micro-grid in every sixth grid, and an exclusive grid of 600 m square over
every other community's corner (overlapping four communities), as many communities as it takes to
reach the asked number of grids. Lookups go to random points of the layer, so some fall near
borders and take the border path."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from core.settings import GridSettings
from knowledge.grids import GridIndex
from knowledge.schema import Grid, GridMember

LAT0, LON0 = 34.70, 113.55
COMMUNITY_M, ROWS, COLUMNS = 500.0, 4, 5
MICRO_EVERY, MICRO_M, EXCLUSIVE_M = 6, 40.0, 600.0
PER_COMMUNITY = 1 + ROWS * COLUMNS + math.ceil(ROWS * COLUMNS / MICRO_EVERY) + 0.5


def _square(x0: float, y0: float, x1: float, y1: float) -> dict[str, object]:
    """A rectangle given in metres east and north of (LAT0, LON0), as GeoJSON [lon, lat]."""
    kx = 111_320.0 * math.cos(math.radians(LAT0))
    ky = 110_574.0
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
    return {"type": "Polygon", "coordinates": [[[LON0 + x / kx, LAT0 + y / ky] for x, y in corners]]}


def generated_layer(grids: int) -> dict[str, Grid]:
    """About `grids` grids (a whole number of communities), all on one made-up street."""
    communities = max(1, round(grids / PER_COMMUNITY))
    side = math.ceil(math.sqrt(communities))
    member = (GridMember(role="网格员", name="测试网格员", duty_hours="08:00-20:00", contact="0371-XXXX-0000"),)
    out: dict[str, Grid] = {}

    def add(gid: str, level: str, geometry: dict[str, object], parent: str | None = None) -> None:
        out[gid] = Grid.model_validate({"id": gid, "name": f"测试{gid}", "level": level, "parent": parent,
                                        "street": None if level == "exclusive" else "bench",
                                        "streets": ("bench",) if level == "exclusive" else (),
                                        "members": member, "geometry": geometry})

    w, h = COMMUNITY_M / COLUMNS, COMMUNITY_M / ROWS
    for n in range(communities):
        cx, cy = (n % side) * COMMUNITY_M, (n // side) * COMMUNITY_M
        cid = f"c{n}"
        add(cid, "community", _square(cx, cy, cx + COMMUNITY_M, cy + COMMUNITY_M))
        for k in range(ROWS * COLUMNS):
            gx, gy = cx + (k % COLUMNS) * w, cy + (k // COLUMNS) * h
            gid = f"{cid}.g{k}"
            add(gid, "grid", _square(gx, gy, gx + w, gy + h), cid)
            if k % MICRO_EVERY == 0:
                mx, my = gx + (w - MICRO_M) / 2, gy + (h - MICRO_M) / 2
                add(f"{gid}.m", "micro", _square(mx, my, mx + MICRO_M, my + MICRO_M), gid)
        if n % 2 == 0:
            ex, ey = cx + COMMUNITY_M - EXCLUSIVE_M / 2, cy + COMMUNITY_M - EXCLUSIVE_M / 2
            add(f"x{n}", "exclusive", _square(ex, ey, ex + EXCLUSIVE_M, ey + EXCLUSIVE_M))
    return out


def bench_grids(grids: int = 50_000, queries: int = 5000, seed: int = 0,
                settings: GridSettings | None = None) -> dict[str, Any]:
    t0 = time.perf_counter()
    layer = generated_layer(grids)
    generate_s = time.perf_counter() - t0
    index = GridIndex(layer, settings)
    t0 = time.perf_counter()
    index.warm_up()
    build_s = time.perf_counter() - t0
    communities = sum(g.level == "community" for g in layer.values())
    side = math.ceil(math.sqrt(communities))
    north = LAT0 + math.ceil(communities / side) * COMMUNITY_M / 110_574.0
    east = LON0 + side * COMMUNITY_M / (111_320.0 * math.cos(math.radians(LAT0)))
    rng = np.random.default_rng(seed)
    points = np.column_stack([rng.uniform(LAT0, north, queries), rng.uniform(LON0, east, queries)])
    for lat, lon in points[:100]:
        index.locate(float(lat), float(lon))
    latencies, found, border = [], 0, 0
    for lat, lon in points:
        t = time.perf_counter()
        location = index.locate(float(lat), float(lon))
        latencies.append((time.perf_counter() - t) * 1000)
        found += location.grid is not None
        border += location.border
    ms = np.asarray(latencies)
    return {
        "grids": len(layer), "levels": {level: sum(g.level == level for g in layer.values())
                                        for level in ("community", "grid", "micro", "exclusive")},
        "generate_s": round(generate_s, 2), "build_s": round(build_s, 2), "queries": queries,
        "p50_ms": round(float(np.percentile(ms, 50)), 3), "p95_ms": round(float(np.percentile(ms, 95)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
        "in_a_grid": round(found / queries, 3), "on_a_border": round(border / queries, 3),
    }
