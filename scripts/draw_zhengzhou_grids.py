"""Draws the illustrative Zhengzhou grid layer (knowledge/bases/zhengzhou/grids.geojson) and the
place → grid gold set (eval/datasets/zhengzhou_grids.jsonl) from the same construction.

NOT official data: the streets' areas are Voronoi cells around places.yaml's street centres, the
communities and grids inside them random Voronoi splits, the members made up. The exclusive grids
follow the roads that bound them in the city's own descriptions, approximately. See GRIDS.md.

    .venv/bin/python scripts/draw_zhengzhou_grids.py            # writes both files
    .venv/bin/python scripts/draw_zhengzhou_grids.py --check    # exits 1 when they differ from a fresh draw

The drawing is deterministic (fixed seeds, coordinates rounded to 1e-7°)."""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPoint, Point, Polygon, box, mapping
from shapely.geometry.base import BaseGeometry

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.loader import load_kb  # noqa: E402

KB_DIR = ROOT / "knowledge" / "bases" / "zhengzhou"
LAYER = KB_DIR / "grids.geojson"
GOLD = ROOT / "eval" / "datasets" / "zhengzhou_grids.jsonl"
DISTRICTS = ("erqi", "jinshui", "guancheng", "zhengdong")
CORE = (34.737, 113.638, 34.800, 113.748)  # south, west, north, east: the core area drawn
LAT0 = 34.77
KX, KY = 111_320.0 * math.cos(math.radians(LAT0)), 110_574.0
BORDER_M = 30.0  # the locator's default border distance; gold points keep twice that from other owners
SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何林高罗"

# 二七塔商圈: 金水路 (north), 菜市街 (south), 铭功路 (west), 顺城街 (east), approximate GCJ-02 [lat, lon].
ERQI_TOWER = [(34.7650, 113.6606), (34.7656, 113.6738), (34.7468, 113.6733), (34.7470, 113.6612)]
# CBD 文化会展: the CBD's inner ring around 如意湖 and the 会展中心 north-east of it.
CBD_CENTRE, CBD_RADIUS_M = (34.7760, 113.7290), 820.0
# 正弘商圈: around 花园路 × 农业路 (正弘城, 国贸360).
ZHENGHONG = [(34.7928, 113.6785), (34.7928, 113.6905), (34.7845, 113.6905), (34.7845, 113.6785)]


def to_xy(lat: float, lon: float) -> tuple[float, float]:
    return lon * KX, lat * KY


def to_lonlat(geom: BaseGeometry) -> dict[str, Any]:
    back = shapely.transform(geom, lambda xy: xy / [KX, KY])
    back = shapely.set_precision(back, 1e-7)
    return dict(mapping(back))


def polygon(corners: list[tuple[float, float]]) -> Polygon:
    return Polygon([to_xy(*c) for c in corners])


@dataclass
class Drawn:
    features: list[dict[str, Any]] = field(default_factory=list)
    shapes: dict[str, BaseGeometry] = field(default_factory=dict)
    parent: dict[str, str | None] = field(default_factory=dict)
    regions: dict[str, BaseGeometry] = field(default_factory=dict)  # the part each grid owns, by construction
    contacts: int = 0

    def add(self, gid: str, name: str, level: str, geom: BaseGeometry, members: list[dict[str, str]],
            parent: str | None = None, street: str | None = None, streets: list[str] | None = None) -> None:
        props: dict[str, Any] = {"id": gid, "name": name, "level": level}
        if parent:
            props["parent"] = parent
        if street:
            props["street"] = street
        if streets:
            props["streets"] = streets
        props["members"] = members
        self.features.append({"type": "Feature", "properties": props, "geometry": to_lonlat(geom)})
        self.shapes[gid] = geom
        self.parent[gid] = parent

    def member(self, rng: random.Random, role: str, hours: str) -> dict[str, str]:
        self.contacts += 1
        title = {"网格长": "网格长", "网格员": "网格员", "下沉干部": "干部"}[role]
        return {"role": role, "name": rng.choice(SURNAMES) + title, "duty_hours": hours,
                "contact": f"0371-0000-{self.contacts:04d}"}


def voronoi_split(area: BaseGeometry, seeds: list[tuple[float, float]]) -> list[BaseGeometry]:
    """`area` cut into the Voronoi cells of `seeds`, in the seeds' order."""
    if len(seeds) < 2:
        return [area] * len(seeds)
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=area.envelope.buffer(5000), ordered=True)
    return [cell.intersection(area) for cell in cells.geoms]


def seeds_in(area: BaseGeometry, k: int, rng: random.Random, spacing: float) -> list[tuple[float, float]]:
    minx, miny, maxx, maxy = area.bounds
    out: list[tuple[float, float]] = []
    for _ in range(5000):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if area.contains(Point(x, y)) and all(math.dist((x, y), s) >= spacing for s in out):
            out.append((x, y))
            if len(out) == k:
                break
    return out


def largest(geom: BaseGeometry) -> BaseGeometry:
    parts: list[BaseGeometry] = list(getattr(geom, "geoms", [geom]))
    return max(parts, key=lambda g: g.area)


CHINESE = "一二三四五六七八九十"


def draw() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    kb = load_kb(KB_DIR)
    south, west, north, east = CORE
    core = box(*to_xy(south, west), *to_xy(north, east))
    centred = [s for s in kb.streets.values() if s.center]
    cells = voronoi_split(core, [to_xy(*s.center) for s in centred if s.center])
    street_area = {s.id: cell for s, cell in zip(centred, cells, strict=True)
                   if s.district in DISTRICTS and s.center and core.contains(Point(to_xy(*s.center)))}

    erqi_tower = polygon(ERQI_TOWER)
    cbd = Point(to_xy(*CBD_CENTRE)).buffer(CBD_RADIUS_M, quad_segs=4)
    zhenghong = polygon(ZHENGHONG)
    exclusive_area = shapely.union_all([erqi_tower, cbd, zhenghong])
    d = Drawn()
    rng = random.Random(17)

    for sid in sorted(street_area):
        _draw_street(d, rng, kb.streets[sid], street_area[sid], erqi_tower, exclusive_area)

    communities = {f["properties"]["id"]: d.shapes[f["properties"]["id"]] for f in d.features
                   if f["properties"]["level"] == "community"}

    def streets_of(area: BaseGeometry) -> list[str]:
        return sorted({cid.rsplit(".c", 1)[0] for cid, shape in communities.items()
                       if shape.intersection(area).area > 1_000})

    exclusive = [("x.erqi-tower", "二七塔商圈专属网格", erqi_tower), ("x.cbd-expo", "CBD文化会展专属网格", cbd),
                 ("x.zhenghong", "正弘商圈专属网格", zhenghong)]
    for xid, name, area in exclusive:
        d.add(xid, name, "exclusive", area, streets=streets_of(area),
              members=[d.member(rng, "网格长", "00:00-24:00"), d.member(rng, "下沉干部", "08:30-17:30"),
                       d.member(rng, "网格员", "00:00-24:00")])
        if xid != "x.erqi-tower":
            d.regions[xid] = area
    # 二七塔商圈 is divided into 24 exclusive grids: 6 bands north to south, 4 columns west to east.
    minx, miny, maxx, maxy = erqi_tower.bounds
    number = 0
    for row in range(6):
        for col in range(4):
            cell = box(minx + (maxx - minx) * col / 4, maxy - (maxy - miny) * (row + 1) / 6,
                       minx + (maxx - minx) * (col + 1) / 4, maxy - (maxy - miny) * row / 6).intersection(erqi_tower)
            number += 1
            sub = f"x.erqi-tower.{number:02d}"
            d.add(sub, f"二七塔商圈第{number}专属网格", "exclusive", cell, parent="x.erqi-tower",
                  streets=streets_of(cell), members=[d.member(rng, "网格员", "00:00-24:00")])
            d.regions[sub] = cell
    layer = {"type": "FeatureCollection",
             "name": "郑州市网格（示意，非官方数据；见 GRIDS.md）",
             "features": d.features}
    return layer, gold(d, kb.streets, communities)


def _draw_street(d: Drawn, rng: random.Random, street: Any, area: BaseGeometry, erqi_tower: BaseGeometry,
                 exclusive_area: BaseGeometry) -> None:
    """A street's community grids (Voronoi cells around random seeds), two in three cut into grids."""
    names = list(street.communities)
    k = len(names) or max(2, min(5, round(area.area / 600_000)))
    seeds = seeds_in(area, k, rng, spacing=300)
    base = street.name.removesuffix("街道")
    for n, community in enumerate(voronoi_split(area, seeds), 1):
        community = largest(community)
        cid = f"{street.id}.c{n}"
        cname = names[n - 1] if names else f"{base}第{CHINESE[n - 1]}社区"
        d.add(cid, f"{cname}网格", "community", community, street=street.id,
              members=[d.member(rng, "网格长", "08:30-17:30"), d.member(rng, "下沉干部", "08:30-17:30")])
        owned = community
        if n % 3 != 0 and community.intersection(erqi_tower).area <= 0.3 * community.area:
            owned = _draw_grids(d, rng, street.id, cid, cname, community, exclusive_area)
        # else a community grid with no grids: its 网格长 and 网格员 serve it whole
        d.regions[cid] = owned.difference(exclusive_area)


def _draw_grids(d: Drawn, rng: random.Random, sid: str, cid: str, cname: str, community: BaseGeometry,
                exclusive_area: BaseGeometry) -> BaseGeometry:
    """The community's grids, outside the exclusive grids, with a micro-grid in a few; returns the
    part of the community no grid covers."""
    owned = community
    pieces = voronoi_split(community, seeds_in(community, rng.choice((2, 3)), rng, spacing=200))
    for m, piece in enumerate(pieces, 1):
        piece = piece.difference(exclusive_area)  # the commercial blocks are the exclusive grids'
        if piece.is_empty or piece.area < 20_000:
            continue
        piece = largest(piece)
        gid = f"{cid}.g{m}"
        d.add(gid, f"{cname}第{m}网格", "grid", piece, parent=cid, street=sid,
              members=[d.member(rng, "网格员", "08:00-20:00")])
        owned = owned.difference(piece)
        d.regions[gid] = piece
        inner = piece.buffer(-80)
        if len(d.features) % 7 == 0 and not inner.is_empty:  # a few micro-grids: a block of buildings, 120 m
            centre = inner.representative_point()
            micro = box(centre.x - 60, centre.y - 60, centre.x + 60, centre.y + 60)
            if piece.contains(micro):
                mid = f"{gid}.m1"
                d.add(mid, f"{cname}第{m}网格1号楼院微网格", "micro", micro, parent=gid, street=sid,
                      members=[d.member(rng, "网格员", "08:00-20:00")])
                d.regions[mid] = micro
                d.regions[gid] = piece.difference(micro)
    return owned


def related(a: str, b: str, parent: dict[str, str | None]) -> bool:
    def chain(x: str) -> set[str]:
        out, current = {x}, parent.get(x)
        while current:
            out.add(current)
            current = parent.get(current)
        return out
    return a in chain(b) or b in chain(a)


def gold(d: Drawn, streets: Any, communities: dict[str, BaseGeometry]) -> list[dict[str, Any]]:
    """Points whose grids are known by construction: one well inside each owned part (≥ 60 m from every
    other owner's part), the middle of each shared edge between two unrelated owners (≥ 60 m from every
    third owner) and a point 15 m into each side of it, points outside the layer, and each covered
    street without a point."""
    rng = random.Random(2024)
    rows: list[dict[str, Any]] = []
    owned = {gid: shape for gid, shape in d.regions.items() if not shape.is_empty}
    for gid, part in sorted(owned.items()):
        inner = part.buffer(-2 * BORDER_M)
        if inner.is_empty:
            continue
        for p in _points_in(inner, rng, 2 if inner.area > 150_000 else 1):
            rows.append({"kind": "inside", "lat": p[0], "lon": p[1], "grid": gid, "border": False})
    rows.extend(_border_rows(owned, d.parent))
    for lat, lon in ((34.748, 113.600), (34.860, 113.640), (34.700, 113.800), (34.745, 113.560), (34.820, 113.560)):
        rows.append({"kind": "outside", "lat": lat, "lon": lon, "grid": None, "border": False})
    for sid in sorted({cid.rsplit(".c", 1)[0] for cid in communities}):
        rows.append({"kind": "street", "street": sid, "street_name": streets[sid].name,
                     "candidates": sorted(c for c in communities if c.rsplit(".c", 1)[0] == sid)})
    for i, row in enumerate(rows, 1):
        row["id"] = f"g{i:04d}"
    return [{"id": r.pop("id"), **r} for r in rows]


def _border_rows(owned: dict[str, BaseGeometry], parent: dict[str, str | None]) -> list[dict[str, Any]]:
    """The middle of each edge (100 m or longer) two unrelated owners share, with no third owner within
    twice the border distance, and a point half the border distance into each side."""
    rows: list[dict[str, Any]] = []
    ids = sorted(owned)
    tree = shapely.STRtree([owned[i] for i in ids])
    for a in ids:
        for m in tree.query(owned[a].buffer(1.0)):
            b = ids[int(m)]
            if b <= a or related(a, b, parent):
                continue
            edge = owned[a].buffer(0.5).intersection(owned[b].buffer(0.5))
            if edge.area < 100:  # they only touch at a corner
                continue
            middle = edge.representative_point()
            if any(ids[int(k)] not in (a, b) for k in tree.query(middle.buffer(2 * BORDER_M))):
                continue
            lat, lon = _lat_lon(middle)
            rows.append({"kind": "border", "lat": lat, "lon": lon, "grids": [a, b], "border": True})
            for side, other in ((a, b), (b, a)):  # half the border distance into each side
                near = _step_into(owned[side], owned[other], middle, BORDER_M / 2)
                if near is not None:
                    lat, lon = _lat_lon(near)
                    rows.append({"kind": "near", "lat": lat, "lon": lon, "grid": side, "grids": [a, b],
                                 "border": True})
    return rows


def _step_into(part: BaseGeometry, other: BaseGeometry, middle: Point, metres: float) -> Point | None:
    """A point `metres` from `middle` inside `part`, about that far from `other`."""
    for k in range(16):
        angle = 2 * math.pi * k / 16
        p = Point(middle.x + metres * math.cos(angle), middle.y + metres * math.sin(angle))
        if part.contains(p) and other.distance(p) >= 0.9 * metres:
            return p
    return None


def _points_in(area: BaseGeometry, rng: random.Random, k: int) -> list[tuple[float, float]]:
    minx, miny, maxx, maxy = area.bounds
    out = []
    for _ in range(2000):
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if area.contains(p):
            out.append(_lat_lon(p))
            if len(out) == k:
                break
    return out


def _lat_lon(p: Point) -> tuple[float, float]:
    return round(p.y / KY, 7), round(p.x / KX, 7)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the files instead of writing them")
    args = parser.parse_args()
    layer, rows = draw()
    layer_text = '{"type": "FeatureCollection", "name": ' + json.dumps(layer["name"], ensure_ascii=False) + \
        ', "features": [\n' + ",\n".join(json.dumps(f, ensure_ascii=False) for f in layer["features"]) + "\n]}\n"
    gold_text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if args.check:
        same = LAYER.read_text(encoding="utf-8") == layer_text and GOLD.read_text(encoding="utf-8") == gold_text
        print("up to date" if same else "differs from a fresh draw")
        return 0 if same else 1
    LAYER.write_text(layer_text, encoding="utf-8")
    GOLD.write_text(gold_text, encoding="utf-8")
    levels = [f["properties"]["level"] for f in layer["features"]]
    print(f"{LAYER}: {len(levels)} grids ({', '.join(f'{levels.count(x)} {x}' for x in sorted(set(levels)))})")
    kinds = [r["kind"] for r in rows]
    print(f"{GOLD}: {len(rows)} rows ({', '.join(f'{kinds.count(x)} {x}' for x in sorted(set(kinds)))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
