"""The escalation ladder (网格 → 街道 → 区级部门 → 城运中心): every case whose respond, arrive or resolve
deadline, or its current step's deadline, has passed goes one level up; each step has its own
deadline, after which the next step fires while the case is still overdue. A department a whistle
called in that has not reported in (报到) by its time is escalated to the city centre.

Any number of schedulers (API workers, servers on one PostgreSQL) may tick at once: a step is
claimed by inserting its escalation row, whose key is unique, in the transaction that moves the case
(on PostgreSQL the case row is taken FOR UPDATE SKIP LOCKED first, so schedulers spread over the
cases instead of queueing on one); a missed report-in by a conditional update of its call. Either
way a step fires once."""

from __future__ import annotations

import logging
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from agent.lifecycle import OPEN
from agent.store.models import CaseRow, EscalationRow, WhistleCallRow, WhistleRow
from agent.store.notices import CITY, notify
from agent.store.store import CaseStore, _audit
from core import clock
from knowledge.schema import Policy

log = logging.getLogger(__name__)
ACTOR = "gridtriage:escalation"
# States in which something is still owed: the open ones, and a verified case waiting for its reply
# or a replied one waiting for its callback (their step deadlines).
ESCALATING = OPEN | {"verified", "replied"}
BEFORE_DISPATCH = ("received", "accepted")
BEFORE_ARRIVAL = ("received", "accepted", "dispatched")


@dataclass(frozen=True)
class Fired:
    case_id: int
    key: str
    level: str
    reason: str
    deadline: datetime


def overdue(case: CaseRow, now: datetime) -> tuple[str, datetime] | None:
    """The earliest deadline of the case that has passed, as (respond|arrive|resolve|due, when)."""
    passed = []
    if case.status in BEFORE_DISPATCH and case.respond_by <= now:
        passed.append(("respond", case.respond_by))
    if case.status in BEFORE_ARRIVAL and case.arrive_by is not None and case.arrive_by <= now:
        passed.append(("arrive", case.arrive_by))
    if case.status in OPEN and case.resolve_by <= now:
        passed.append(("resolve", case.resolve_by))
    if case.due_by is not None and case.due_by <= now:
        passed.append(("due", case.due_by))
    return min(passed, key=lambda p: p[1]) if passed else None


def _overdue_sql(now: datetime) -> ColumnElement[bool]:
    return or_(CaseRow.due_by <= now,
               and_(CaseRow.status.in_(OPEN), CaseRow.resolve_by <= now),
               and_(CaseRow.status.in_(BEFORE_DISPATCH), CaseRow.respond_by <= now),
               and_(CaseRow.status.in_(BEFORE_ARRIVAL), CaseRow.arrive_by <= now))


class Escalator:
    def __init__(self, store: CaseStore, policy: Policy, timezone: tzinfo = UTC, name: str | None = None,
                 batch: int = 200) -> None:
        """`timezone`: the city's, in which notices show the deadline that passed."""
        self.store, self.policy, self.batch, self.timezone = store, policy, batch, timezone
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._skip_locked = store.engine.dialect.name == "postgresql"

    def levels(self, case: CaseRow) -> list[str]:
        """The ladder's levels this case has, from where it starts: a grid only when it lies in one,
        a street only when it is known; the district (the lead department) and the city always."""
        has = {"grid": bool(case.grid_id), "street": bool(case.street_id), "district": True, "city": True}
        return [level for level in self.policy.escalation.ladder if has[level]]

    def tick(self) -> list[Fired]:
        """Fire every escalation due now; returns those this scheduler fired."""
        now = clock.now()
        fired = [f for case_id in self._due_cases(now) if (f := self._climb(case_id, now)) is not None]
        fired += [f for call_id in self._missed_calls(now) if (f := self._missed(call_id, now)) is not None]
        return fired

    # ---- the ladder -----------------------------------------------------------------------------
    def _due_cases(self, now: datetime) -> list[int]:
        first = and_(CaseRow.escalation_step == 0, _overdue_sql(now))
        later = and_(CaseRow.escalation_step > 0, CaseRow.escalation_due_by <= now, _overdue_sql(now))
        with self.store.session() as s:
            return list(s.scalars(select(CaseRow.id).where(CaseRow.status.in_(ESCALATING), or_(first, later))
                                  .order_by(CaseRow.id).limit(self.batch)))

    def _climb(self, case_id: int, now: datetime) -> Fired | None:
        try:
            with self.store.session() as s, s.begin():
                q = select(CaseRow).where(CaseRow.id == case_id)
                case = s.scalars(q.with_for_update(skip_locked=True) if self._skip_locked else q).first()
                return None if case is None else self._step(s, case, now)
        except (IntegrityError, OperationalError) as exc:  # another scheduler fired it first
            log.debug("escalation of case %s left to another scheduler: %s", case_id, exc)
            return None

    def _step(self, s: Session, case: CaseRow, now: datetime) -> Fired | None:
        late = overdue(case, now)
        if late is None:
            return None
        if case.escalation_step > 0:
            if case.escalation_due_by is None or case.escalation_due_by > now:
                return None
            late = ("step", case.escalation_due_by)
        levels = self.levels(case)
        step = case.escalation_step + 1
        if step >= len(levels):
            return None
        level, (reason, deadline) = levels[step], late
        next_due = now + timedelta(minutes=self._step_minutes(case.mode)) if step + 1 < len(levels) else None
        key = f"case:{case.id}:step:{step}"
        s.add(EscalationRow(key=key, case_id=case.id, step=step, level=level, reason=reason, deadline=deadline,
                            next_due_by=next_due, fired_by=self.name, created_at=now))
        s.flush()  # a step another scheduler stored meanwhile fails here, before anything else is written
        before = case.escalation_level or levels[0]
        case.escalation_step, case.escalation_level, case.escalation_due_by = step, level, next_due
        values = {"id": case.id, "title": case.title, "level": level, "reason": reason,
                  "deadline": deadline.isoformat(), "deadline_local": self._local(deadline)}
        for audience in self._audiences(case, level):
            notify(s, case.id, audience, "escalated", f"notice.escalated.{level}", **values)
        s.add(_audit("escalation", "case.escalated", None, case.id, {
            "step": step, "from": before, "to": level, "reason": reason, "deadline": deadline.isoformat(),
            "next_due_by": next_due.isoformat() if next_due else None, "scheduler": self.name}, ACTOR))
        return Fired(case.id, key, level, reason, deadline)

    def _audiences(self, case: CaseRow, level: str) -> list[str]:
        if level == "grid":
            return [f"grid:{case.grid_id}"]
        if level == "street":
            return [f"street:{case.street_id}", f"department:{self.policy.local_office_department}"]
        if level == "district":
            return [f"department:{case.lead_department_id}"] + (
                [f"district:{case.district_id}"] if case.district_id else [])
        return [CITY]

    def _local(self, moment: datetime) -> str:
        return moment.astimezone(self.timezone).strftime("%Y-%m-%d %H:%M:%S")

    def _step_minutes(self, mode_id: str) -> float:
        try:
            return self.policy.escalation_minutes(mode_id)
        except ValueError:  # a case stored under a mode this knowledge base lacks
            return self.policy.escalation.step_minutes

    # ---- 吹哨报到: a department that did not report in ------------------------------------------------
    def _missed_calls(self, now: datetime) -> list[int]:
        with self.store.session() as s:
            return list(s.scalars(select(WhistleCallRow.id).where(
                WhistleCallRow.reported_at.is_(None), WhistleCallRow.escalated_at.is_(None),
                WhistleCallRow.due_by <= now).order_by(WhistleCallRow.id).limit(self.batch)))

    def _missed(self, call_id: int, now: datetime) -> Fired | None:
        try:
            with self.store.session() as s, s.begin():
                claimed = s.execute(update(WhistleCallRow).where(
                    WhistleCallRow.id == call_id, WhistleCallRow.reported_at.is_(None),
                    WhistleCallRow.escalated_at.is_(None)).values(escalated_at=now))
                if claimed.rowcount != 1:  # type: ignore[attr-defined]
                    return None  # reported in, or another scheduler escalated it
                call = s.get(WhistleCallRow, call_id)
                assert call is not None
                whistle = s.get(WhistleRow, call.whistle_id)
                key = f"call:{call_id}"
                s.add(EscalationRow(key=key, case_id=call.case_id, step=0, level="city", reason="report_in",
                                    deadline=call.due_by, next_due_by=None, fired_by=self.name, created_at=now))
                s.flush()
                values = {"id": call.case_id, "department": call.department_id, "whistle_id": call.whistle_id,
                          "deadline": call.due_by.isoformat(), "deadline_local": self._local(call.due_by)}
                audiences = [CITY, f"department:{call.department_id}"]
                if whistle is not None and whistle.grid_id:
                    audiences.append(f"grid:{whistle.grid_id}")
                for audience in audiences:
                    notify(s, call.case_id, audience, "report_missed", "notice.report_missed", **values)
                s.add(_audit("escalation", "case.escalated", None, call.case_id, {
                    "reason": "report_in", "to": "city", "whistle_id": call.whistle_id,
                    "department_id": call.department_id, "deadline": call.due_by.isoformat(),
                    "scheduler": self.name}, ACTOR))
                return Fired(call.case_id, key, "city", "report_in", call.due_by)
        except (IntegrityError, OperationalError) as exc:
            log.debug("missed report-in %s left to another scheduler: %s", call_id, exc)
            return None
