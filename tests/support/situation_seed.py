"""A case database for the situation picture's tests: rows written straight through the store's
models, so each figure can be worked out by hand.

The clock stands at Wednesday 2026-03-11 10:20 in Zhengzhou (Asia/Shanghai); "today" is Mar 11 and
the past week Mar 4 to Mar 10.

    case dept status     priority  created (local)  respond by   resolve by   street grid point
    a1   CM   received   urgent*   Mar 11 09:10     10:40        Mar 11 13:10 S1     G1   yes   (* emergency)
    a2   CM   accepted   high      Mar 11 08:05     10:05 (late) Mar 12 08:05 S1     G1   no: S1's centre
    a3   TP   dispatched normal    Mar 11 10:00     10:30        Mar 10 10:00 S2     —    yes   overdue
    a4   TP   received   low       Mar 10 09:30     11:00        Mar 15 09:30 —      —    no: nowhere
    a5   CM   handling   normal    Mar  5 09:45     —            Mar  9 09:45 S2     —    yes   overdue
    a6   CM   closed     normal    Mar  8 09:15
    a7   TP   merged     normal    Mar  9 09:20                                              (not counted)
    a8   CM   closed     normal    Mar  3 23:50                                              (before the week)
    a9   TP   rejected   low       Mar  4 00:30
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from agent.store.models import CaseRow
from agent.store.store import CaseStore
from knowledge.loader import KnowledgeBase

CITY = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 11, 10, 20, tzinfo=CITY)
CM, TP = "city-management", "traffic-police"
S1, S2 = "jinshui.jingba-road", "jinshui.huayuan-road"
S1_CENTRE = (34.775, 113.663)
G1 = "jingba-road-g1"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time on the city's clock in March 2026."""
    return datetime(2026, 3, day, hour, minute, tzinfo=CITY)


COLUMNS = ("lead_department_id", "status", "priority", "emergency", "created_at", "respond_by", "resolve_by",
           "street_id", "grid", "point")
CASES: dict[str, tuple[Any, ...]] = {  # in the order of COLUMNS
    "a1": (CM, "received", "urgent", True, at(11, 9, 10), at(11, 10, 40), at(11, 13, 10), S1, G1, (34.7801, 113.6652)),
    "a2": (CM, "accepted", "high", False, at(11, 8, 5), at(11, 10, 5), at(12, 8, 5), S1, G1, None),
    "a3": (TP, "dispatched", "normal", False, at(11, 10), at(11, 10, 30), at(10, 10), S2, None, (34.79, 113.68)),
    "a4": (TP, "received", "low", False, at(10, 9, 30), at(11, 11), at(15, 9, 30), None, None, None),
    "a5": (CM, "handling", "normal", False, at(5, 9, 45), at(5, 10, 45), at(9, 9, 45), S2, None, (34.785, 113.69)),
    "a6": (CM, "closed", "normal", False, at(8, 9, 15), at(8, 10), at(10, 9), S1, None, None),
    "a7": (TP, "merged", "normal", False, at(9, 9, 20), at(9, 10), at(12, 9), S1, None, None),
    "a8": (CM, "closed", "normal", False, at(3, 23, 50), at(4, 1), at(6, 9), S1, None, None),
    "a9": (TP, "rejected", "low", False, at(4, 0, 30), at(4, 2), at(8, 9), S2, None, None),
}


def place(street: str | None, grid: str | None, point: tuple[float, float] | None) -> dict[str, Any]:
    lat, lon = point or (None, None)
    return {"text": None, "district": {"id": "jinshui", "name": "金水区"},
            "street": {"id": street, "name": street} if street else None,
            "grid": {"id": grid, "name": "经八路第一网格", "level": "grid", "members": []} if grid else None,
            "lat": lat, "lon": lon}


def seed(store: CaseStore, shift: timedelta = timedelta(0), dimension: int = 4) -> dict[str, int]:
    """Write the cases above (every time moved by `shift`, with zero embeddings of `dimension`, the
    embedder's for a server to index them); their ids by name."""
    ids: dict[str, int] = {}
    with store.session() as s, s.begin():
        for name, values in CASES.items():
            f = dict(zip(COLUMNS, values, strict=True))
            created: datetime = f["created_at"] + shift
            row = CaseRow(
                status=f["status"], category_id="municipal.road-damage", category_name="道路破损",
                priority=f["priority"], urgent=f["priority"] == "urgent", confidence=0.9, needs_review=False,
                title=f"标题{name}", summary=name, district_id="jinshui", street_id=f["street_id"],
                lead_department_id=f["lead_department_id"], mode="normal", respond_by=f["respond_by"] + shift,
                arrive_by=None, resolve_by=f["resolve_by"] + shift, grid_id=f["grid"],
                place=place(f["street_id"], f["grid"], f["point"]), departments=[], draft={},
                emergency={"services": ["119"]} if f["emergency"] else None, merged_into=None, kind="incident",
                embedding=np.zeros(dimension, dtype=np.float32).tobytes(), first_reported_at=created,
                last_reported_at=created, created_at=created, updated_at=created + timedelta(minutes=1))
            s.add(row)
            s.flush()
            ids[name] = row.id
    return ids


def many(store: CaseStore, n: int) -> None:
    """`n` more open cases spread over the week before NOW, across two departments and two streets,
    for timing the picture."""
    with store.session() as s, s.begin():
        for i in range(n):
            created = NOW - timedelta(minutes=7 * i % (7 * 24 * 60))
            grid, point = G1 if i % 5 == 0 else None, (34.77 + i % 97 / 5000, 113.66 + i % 89 / 5000)
            s.add(CaseRow(
                status=("received", "dispatched", "handling")[i % 3], category_id="municipal.road-damage",
                category_name="道路破损", priority=("urgent", "high", "normal", "low")[i % 4], urgent=i % 4 == 0,
                confidence=0.9, needs_review=False, title=f"批量{i}", summary="", district_id="jinshui",
                street_id=(S1, S2)[i % 2], lead_department_id=(CM, TP)[i % 2], mode="normal",
                respond_by=created + timedelta(hours=1), arrive_by=None, resolve_by=created + timedelta(days=2),
                place=place((S1, S2)[i % 2], grid, point), grid_id=grid, departments=[], draft={}, emergency=None,
                merged_into=None,
                kind="incident", embedding=np.zeros(4, dtype=np.float32).tobytes(), first_reported_at=created,
                last_reported_at=created, created_at=created, updated_at=created))


def in_grids(store: CaseStore, kb: KnowledgeBase, now: datetime, n: int, dimension: int) -> None:
    """`n` open cases inside the knowledge base's grids (at the middle of each grid's outline), for
    the browser's picture: every priority, both departments, some overdue, created over the past day."""
    grids = [g for g in kb.grids.values() if g.level == "grid" and g.street]
    with store.session() as s, s.begin():
        for i in range(n):
            grid = grids[(i * 7) % len(grids)]
            shape: Any = grid.geometry["coordinates"]
            ring = shape[0] if grid.geometry["type"] == "Polygon" else shape[0][0]
            lon = sum(p[0] for p in ring[:-1]) / (len(ring) - 1) + (i % 3 - 1) * 0.0008
            lat = sum(p[1] for p in ring[:-1]) / (len(ring) - 1) + (i % 2) * 0.0006
            created = now - timedelta(minutes=37 * i % (24 * 60))
            street = kb.streets.get(grid.street or "")
            s.add(CaseRow(
                status=("received", "dispatched", "handling")[i % 3], category_id="municipal.road-damage",
                category_name="道路破损", priority=("high", "normal", "normal", "low", "urgent")[i % 5],
                urgent=i % 5 == 4, confidence=0.9, needs_review=False, title=f"{grid.name}路面破损{i}", summary="",
                district_id=street.district if street else None, street_id=grid.street,
                lead_department_id=(CM, TP)[i % 2], mode="normal", respond_by=created + timedelta(minutes=90),
                arrive_by=None, resolve_by=created + timedelta(hours=(6, 30)[i % 2]),
                place=place(grid.street, grid.id, (lat, lon)), grid_id=grid.id, departments=[], draft={},
                emergency=None, merged_into=None, kind="incident",
                embedding=np.zeros(dimension, dtype=np.float32).tobytes(), first_reported_at=created,
                last_reported_at=created, created_at=created, updated_at=created))
