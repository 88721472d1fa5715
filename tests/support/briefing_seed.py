"""A case database with known times across two weeks, for the briefing tests: rows written straight
through the store's models, so every figure of a briefing can be worked out by hand.

The clock stands at Wednesday 2026-03-11 10:00 in Zhengzhou (Asia/Shanghai). The week briefed is
Monday 2026-03-02 to Sunday 2026-03-08 (W), the week before it 2026-02-23 to 2026-03-01 (P).

    case  category (leaf)               street  lead  created (local)  status     urgent  note
    c1    municipal.manhole-cover       S1      CM    W Mar 2 09:00    closed     yes
    c2    municipal.road-damage         S1      CM    W Mar 3 10:00    handling   yes     overdue, step late
    c3    sanitation.exposed-garbage    S2      TP    W Mar 4 23:30    dispatched yes     step late
    c4    municipal.road-damage         —       CM    W Mar 5 00:10    merged into c2
    c5    municipal.manhole-cover       S2      CM    W Mar 8 23:59    received   no
    c6    municipal.road-damage         S1      CM    P Feb 24 10:00   closed     no
    c7    sanitation.exposed-garbage    S1      TP    P Mar 1 23:00    reopened   no      step late
    c8    municipal.manhole-cover       S1      CM    Feb 20 10:00     returned   no      overdue
    c9    sanitation.exposed-garbage    S2      TP    Mar 9 08:00      received   yes     after W
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from agent.store.models import AuditRow, CallbackRow, CaseRow, DisposalRow, ReportRow
from agent.store.store import CaseStore

CITY = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 11, 10, 0, tzinfo=CITY)
CM, TP = "city-management", "traffic-police"
S1, S2 = "jinshui.jingba-road", "jinshui.huayuan-road"


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A time on the city's clock in 2026."""
    return datetime(2026, month, day, hour, minute, tzinfo=CITY)


COLUMNS = ("category_id", "street_id", "lead_department_id", "created_at", "status", "urgent", "resolve_by", "due_by",
           "reporter_count")
CASES: dict[str, tuple[Any, ...]] = {  # in the order of COLUMNS
    "c1": ("municipal.manhole-cover", S1, CM, at(3, 2, 9), "closed", True, at(3, 2, 13), None, 1),
    "c2": ("municipal.road-damage", S1, CM, at(3, 3, 10), "handling", True, at(3, 5, 10), at(3, 4, 10), 4),
    "c3": ("sanitation.exposed-garbage", S2, TP, at(3, 4, 23, 30), "dispatched", True, at(3, 12, 10), at(3, 10, 10),
           1),
    "c4": ("municipal.road-damage", None, CM, at(3, 5, 0, 10), "merged", False, at(3, 6, 10), None, 1),
    "c5": ("municipal.manhole-cover", S2, CM, at(3, 8, 23, 59), "received", False, at(3, 20, 10), None, 1),
    "c6": ("municipal.road-damage", S1, CM, at(2, 24, 10), "closed", False, at(2, 26, 10), None, 4),
    "c7": ("sanitation.exposed-garbage", S1, TP, at(3, 1, 23), "reopened", False, at(3, 13, 10), at(3, 9, 10), 3),
    "c8": ("municipal.manhole-cover", S1, CM, at(2, 20, 10), "returned", False, at(2, 21, 10), None, 2),
    "c9": ("sanitation.exposed-garbage", S2, TP, at(3, 9, 8), "received", True, at(3, 19, 10), None, 1),
}
REPORTS: dict[str, list[datetime]] = {
    "c1": [at(3, 2, 9)],
    "c2": [at(3, 3, 10), at(3, 4, 11), at(3, 6, 9)],
    "c3": [at(3, 4, 23, 30)],
    "c4": [at(3, 5, 0, 10)],
    "c5": [at(3, 8, 23, 59)],
    "c6": [at(2, 24, 10), at(2, 25, 10), at(2, 26, 10), at(3, 3, 9)],
    "c7": [at(3, 1, 23), at(3, 2, 8), at(3, 2, 9, 30)],
    "c8": [at(2, 20, 10), at(3, 7, 10)],
    "c9": [at(3, 9, 8)],
}
MOVES: list[tuple[str, str, str, datetime]] = [  # case, from, to, when
    ("c1", "received", "dispatched", at(3, 2, 9, 5)), ("c1", "dispatched", "handling", at(3, 2, 10)),
    ("c1", "handling", "disposed", at(3, 2, 12)),
    ("c2", "dispatched", "handling", at(3, 3, 13)),
    ("c3", "received", "dispatched", at(3, 5, 8)),
    ("c6", "dispatched", "handling", at(2, 24, 12)), ("c6", "closed", "reopened", at(3, 1, 10, 5)),
    ("c7", "dispatched", "disposed", at(3, 2, 5)), ("c7", "replied", "reopened", at(3, 6, 10, 5)),
    ("c8", "dispatched", "handling", at(2, 27, 10)), ("c8", "returned", "handling", at(3, 7, 10)),
]
DISPOSALS: list[tuple[str, int, str, datetime, str, str | None]] = [  # case, attempt, dept, when, verdict, decided
    ("c1", 1, CM, at(3, 2, 12), "pass", None),
    ("c7", 1, TP, at(3, 2, 5), "needs_person", "fail"),
    ("c7", 2, TP, at(3, 3, 10), "pass", None),
    ("c6", 1, CM, at(2, 25, 10), "fail", None),
    ("c6", 2, CM, at(3, 2, 10), "pass", None),
    ("c2", 1, CM, at(3, 5, 10), "fail", None),
    ("c2", 2, CM, at(3, 6, 10), "needs_person", "pass"),
    ("c8", 1, CM, at(2, 20, 20), "fail", None),
    ("c8", 2, CM, at(3, 8, 10), "fail", None),
]
CALLBACKS: list[tuple[str, str, datetime]] = [
    ("c1", "satisfied", at(3, 3, 10)),
    ("c6", "unsatisfied", at(3, 1, 10)),
    ("c6", "basically", at(3, 4, 10)),
    ("c7", "unsatisfied", at(3, 6, 10)),
]


def seed(store: CaseStore) -> dict[str, int]:
    """Write the cases above; their ids by name."""
    ids: dict[str, int] = {}
    with store.session() as s, s.begin():
        for name, values in CASES.items():
            fields = dict(zip(COLUMNS, values, strict=True))
            row = CaseRow(**fields, category_name=fields["category_id"], priority="urgent" if fields["urgent"]
                          else "normal", confidence=0.9, needs_review=False, title=f"标题{name}", summary=name,
                          district_id="jinshui", mode="normal", respond_by=fields["created_at"], arrive_by=None,
                          place={"district": None, "street": None}, departments=[], draft={}, emergency=None,
                          merged_into=None, kind="incident", embedding=np.zeros(4, dtype=np.float32).tobytes(),
                          first_reported_at=fields["created_at"], last_reported_at=fields["created_at"],
                          updated_at=fields["created_at"])
            s.add(row)
            s.flush()
            ids[name] = row.id
        s.get_one(CaseRow, ids["c4"]).merged_into = ids["c2"]
        for name, times in REPORTS.items():
            s.add_all(ReportRow(case_id=ids[name], text=f"诉求{name}", channel="phone", received_at=t,
                                personal_data=[]) for t in times)
        s.add_all(AuditRow(case_id=ids[name], stage="lifecycle", event="case.transition", actor="test",
                           payload={"from": before, "to": after, "note": ""}, created_at=t)
                  for name, before, after, t in MOVES)
        s.add_all(DisposalRow(case_id=ids[name], attempt=attempt, department_id=dept, actor="test", reply="已处理",
                              outcome="resolved", commitments=[], verdict=verdict, verification={},
                              decided_verdict=decided, created_at=t)
                  for name, attempt, dept, t, verdict, decided in DISPOSALS)
        s.add_all(CallbackRow(case_id=ids[name], satisfaction=value, note="", actor="test", created_at=t)
                  for name, value, t in CALLBACKS)
    return ids
