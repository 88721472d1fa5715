"""吹哨报到: a grid member (or a supervisor on the grid's behalf) whistles departments in to a case,
and each department called reports in (报到) by the time its mode allows; the escalation scheduler
takes a call nobody reported in for to the city centre. Each is one transaction with its audit
event and the notifications of the people concerned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.lifecycle import OPEN
from agent.store.models import WhistleCallRow, WhistleRow
from agent.store.notices import notify
from agent.store.store import CaseStore, _audit, _get_case
from core import clock
from core.frozen import Frozen
from core.messages import NotFound, Refusal, message
from knowledge.schema import Policy


class CallRecord(Frozen):
    """One department a whistle called in, and whether and when it reported in."""

    id: int
    department_id: str
    due_by: datetime
    reported_at: datetime | None
    reported_by: str | None
    report_note: str | None
    late: bool  # reported after its time
    escalated_at: datetime | None  # nobody reported in by its time: escalated to the city centre


class WhistleRecord(Frozen):
    id: int
    case_id: int
    grid_id: str | None
    note: str
    actor: str
    mode: str
    created_at: datetime
    calls: list[CallRecord]


class Whistles:
    def __init__(self, store: CaseStore, policy: Policy, timezone: tzinfo = UTC) -> None:
        """`timezone`: the city's, in which the notices show the report-in time."""
        self.store, self.policy, self.timezone = store, policy, timezone

    def whistle(self, case_id: int, departments: list[str], note: str, actor: str,
                mode: str | None = None) -> WhistleRecord:
        """Call `departments` (ids the caller checked against the knowledge base) in to an open case.
        Each must report in within `report_minutes` of `mode` (default: the case's own mode)."""
        if not departments:
            raise Refusal(message("whistle.no_departments"))
        with self.store.session() as s, s.begin():
            case = _get_case(s, case_id)
            if case.status not in OPEN:
                raise Refusal(message("whistle.case_not_open", id=case_id, status=message(f"status.{case.status}")))
            now = clock.now()
            known = {m.id for m in self.policy.modes}
            mode = next((m for m in (mode, case.mode) if m in known), self.policy.default_mode)
            due = now + timedelta(minutes=self.policy.report_minutes(mode))
            row = WhistleRow(case_id=case_id, grid_id=case.grid_id, note=note, actor=actor, mode=mode, created_at=now)
            s.add(row)
            s.flush()
            for department_id in dict.fromkeys(departments):
                s.add(WhistleCallRow(whistle_id=row.id, case_id=case_id, department_id=department_id, due_by=due))
                notify(s, case_id, f"department:{department_id}", "whistle", "notice.whistle", id=case_id,
                       title=case.title, whistle_id=row.id, due_by=due.isoformat(),
                       due_local=due.astimezone(self.timezone).strftime("%Y-%m-%d %H:%M:%S"), note=note or "—")
            s.add(_audit("whistle", "case.whistled", None, case_id, {
                "whistle_id": row.id, "grid_id": case.grid_id, "departments": list(dict.fromkeys(departments)),
                "note": note, "mode": mode, "report_by": due.isoformat()}, actor))
            s.flush()
            return _record(s, row)

    def report(self, case_id: int, whistle_id: int, department_id: str, actor: str, note: str = "") -> WhistleRecord:
        """报到: the department acknowledges the call (late ones are stored too, and marked late)."""
        with self.store.session() as s, s.begin():
            row = s.get(WhistleRow, whistle_id)
            if row is None or row.case_id != case_id:
                raise NotFound(message("whistle.not_found", id=whistle_id, case=case_id))
            call = s.scalars(select(WhistleCallRow).where(WhistleCallRow.whistle_id == whistle_id,
                                                          WhistleCallRow.department_id == department_id)
                             .with_for_update()).first()
            if call is None:
                raise NotFound(message("whistle.not_called", id=whistle_id, department=department_id))
            if call.reported_at is not None:
                raise Refusal(message("whistle.already_reported", id=whistle_id, department=department_id))
            now = clock.now()
            call.reported_at, call.reported_by, call.report_note = now, actor, note
            late = now > call.due_by
            if row.grid_id:
                notify(s, case_id, f"grid:{row.grid_id}", "reported_in", "notice.reported_in", id=case_id,
                       whistle_id=whistle_id, department=department_id)
            s.add(_audit("whistle", "whistle.reported", None, case_id, {
                "whistle_id": whistle_id, "department_id": department_id, "note": note, "late": late,
                "due_by": call.due_by.isoformat(), "escalated": call.escalated_at is not None}, actor))
            s.flush()
            return _record(s, row)

    def of_case(self, case_id: int) -> list[WhistleRecord]:
        with self.store.session() as s:
            _get_case(s, case_id)
            return [_record(s, w) for w in s.scalars(select(WhistleRow).where(WhistleRow.case_id == case_id)
                                                     .order_by(WhistleRow.id))]


def _record(s: Session, row: WhistleRow) -> WhistleRecord:
    calls = s.scalars(select(WhistleCallRow).where(WhistleCallRow.whistle_id == row.id).order_by(WhistleCallRow.id))
    return WhistleRecord(
        id=row.id, case_id=row.case_id, grid_id=row.grid_id, note=row.note, actor=row.actor, mode=row.mode,
        created_at=row.created_at,
        calls=[CallRecord(id=c.id, department_id=c.department_id, due_by=c.due_by, reported_at=c.reported_at,
                          reported_by=c.reported_by, report_note=c.report_note,
                          late=c.reported_at is not None and c.reported_at > c.due_by, escalated_at=c.escalated_at)
               for c in calls])
