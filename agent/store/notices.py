"""Notifications: who is told what about a case (its dispatch to a grid, a whistle, a report-in, an
escalation), addressed to one level's audience, and the feed each caller reads.

An audience is `city` (the city centre), `street:ID`, `district:ID`, `department:ID` or `grid:ID`.
Keys and users bound to a department or a grid read their own audience only; every other role
reads the city centre's feed, which is all of them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.store.models import AuditRow, CaseRow, NotificationRow
from core import clock
from core.frozen import Frozen
from core.messages import message

if TYPE_CHECKING:
    from agent.store.store import CaseStore

CITY = "city"


class Notice(Frozen):
    id: int
    case_id: int | None
    audience: str
    kind: str
    code: str
    values: dict[str, Any]
    created_at: datetime


def notify(s: Session, case_id: int | None, audience: str, kind: str, code: str, **values: Any) -> None:
    message(code, **values)  # an unknown catalogue key fails here, inside the transaction
    s.add(NotificationRow(case_id=case_id, audience=audience, kind=kind, code=code, values=values,
                          created_at=clock.now()))


def grid_members(case: CaseRow) -> list[dict[str, Any]]:
    grid = (case.place or {}).get("grid") or {}
    return [{"role": m.get("role"), "name": m.get("name")} for m in grid.get("members") or ()
            if isinstance(m, dict)]


def dispatched_to_grid(s: Session, case: CaseRow, actor: str) -> None:
    """A grid-first case with a grid is dispatched to the grid: its members are told, and the audit
    log says who was told (names and roles, never their contacts)."""
    if not (case.grid_first and case.grid_id):
        return
    grid = (case.place or {}).get("grid") or {}
    name = str(grid.get("name") or case.grid_id)
    members = grid_members(case)
    notify(s, case.id, f"grid:{case.grid_id}", "grid_dispatch", "notice.grid_dispatch", id=case.id,
           title=case.title, grid=name)
    s.add(AuditRow(stage="dispatch", event="case.dispatched_to_grid", case_id=case.id, report_id=None, actor=actor,
                   payload={"grid_id": case.grid_id, "grid": name, "members": members,
                            "lead_department_id": case.lead_department_id}, created_at=clock.now()))


class Notices:
    def __init__(self, store: CaseStore) -> None:
        self.store = store

    def feed(self, audiences: list[str] | None, after_id: int = 0, since: datetime | None = None,
             limit: int = 100) -> list[Notice]:
        """Notifications newer than `after_id` (and `since`, when given), oldest first; `audiences`
        None: all of them (the city centre)."""
        q = select(NotificationRow).where(NotificationRow.id > after_id)
        if audiences is not None:
            q = q.where(NotificationRow.audience.in_(audiences))
        if since is not None:
            q = q.where(NotificationRow.created_at > since)
        with self.store.session() as s:
            return [Notice(id=r.id, case_id=r.case_id, audience=r.audience, kind=r.kind, code=r.code,
                           values=r.values, created_at=r.created_at)
                    for r in s.scalars(q.order_by(NotificationRow.id).limit(limit))]
