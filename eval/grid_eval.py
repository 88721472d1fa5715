"""Place → grid correctness (`gridtriage eval grids`) on a gold set of points with known grids.

The bundled gold set (eval/datasets/zhengzhou_grids.jsonl) is drawn with the layer by
scripts/draw_zhengzhou_grids.py, from the construction and not from the locator: one JSON object a
line, by `kind`:
- `inside`: a point well inside the part of the layer one grid owns (`grid`); right when the locator
  gives that grid and no border;
- `border`: the middle of an edge shared by two unrelated grids (`grids`); right when the locator
  marks a border, lists both, and gives one of them as the grid;
- `near`: a point half the border distance into one side (`grid`) of such an edge; right when the
  locator gives that grid, marks a border and lists both;
- `outside`: a point outside the layer; right when no grid is given;
- `street`: a street without a point (`street`); right when the candidates are its community grids
  (`candidates`), counted apart from the points."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from core.settings import Settings
from knowledge.grids import GridIndex, GridLocation
from knowledge.loader import load_kb

POINT_KINDS = ("inside", "border", "near", "outside")
BUNDLED = Path(__file__).with_name("datasets") / "zhengzhou_grids.jsonl"


def evaluate_grids(settings: Settings, gold: Path | None = None) -> dict[str, Any]:
    path = gold or BUNDLED
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read the gold set {path}: {exc.strerror or exc}") from exc
    rows = [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]
    kb = load_kb(settings.kb_dir)
    index = GridIndex(kb.grids, settings.grids)
    index.warm_up()
    by_kind: dict[str, list[int]] = {}
    wrong: list[dict[str, Any]] = []
    for row in rows:
        kind = row.get("kind")
        if kind == "street":
            got = sorted(g.id for g in index.street_grids(row["street"]))
            right = got == sorted(row["candidates"])
            found: dict[str, Any] = {"candidates": got}
        elif kind in POINT_KINDS:
            location = index.locate(row["lat"], row["lon"])
            right = _right(row, location)
            found = {"grid": location.grid.id if location.grid else None, "border": location.border,
                     "candidates": [g.id for g in location.candidates]}
        else:
            raise ValueError(f"{path.name}: row {row.get('id')} has unknown kind {kind!r}")
        by_kind.setdefault(kind, []).append(int(right))
        if not right:
            wrong.append({"id": row.get("id"), "kind": kind, "found": found})
    points = [x for kind in POINT_KINDS for x in by_kind.get(kind, [])]
    streets = by_kind.get("street", [])
    return {
        "dataset": {"name": path.name, "sha256": hashlib.sha256(data).hexdigest()[:16], "rows": len(rows)},
        "layer": {"grids": len(kb.grids), "border_metres": settings.grids.border_metres},
        "points": len(points),
        "accuracy": round(sum(points) / len(points), 4) if points else None,
        "by_kind": {kind: {"n": len(v), "accuracy": round(sum(v) / len(v), 4)} for kind, v in by_kind.items()
                    if kind in POINT_KINDS},
        "streets_without_point": {"n": len(streets),
                                  "accuracy": round(sum(streets) / len(streets), 4) if streets else None},
        "wrong": wrong[:20],
    }


def _right(row: dict[str, Any], location: GridLocation) -> bool:
    got = location.grid.id if location.grid else None
    listed = {g.id for g in location.candidates}
    if row["kind"] == "border":
        return location.border and set(row["grids"]) <= listed and got in row["grids"]
    if row["kind"] == "near":
        return location.border and set(row["grids"]) <= listed and got == row["grid"]
    return got == row["grid"] and not location.border
