"""What people and client systems do to cases after triage: API clients and their keys, idempotent
submissions, the city's mode, lifecycle transitions, and the review actions. Every change is one
transaction that also writes the audit log (and, for a changed field, the labelled-feedback table)."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent.lifecycle import OPEN, check_transition
from agent.store.models import ApiKeyRow, CaseRow, CitySettingRow, FeedbackRow, IdempotencyRow, ReportRow
from agent.store.store import CaseStore, _audit, _get_case
from core import clock
from core.messages import Refusal, message
from core.roles import ROLES

PRIORITY_ORDER = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


@dataclass(frozen=True)
class ApiClient:
    id: int
    name: str
    role: str

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.name}"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class Workflow:
    def __init__(self, store: CaseStore, key_cache_s: float = 30.0) -> None:
        self.store = store
        self.key_cache_s = key_cache_s  # how long a looked-up key is trusted before it is read again
        self._clients: dict[str, tuple[ApiClient | None, float]] = {}

    # ---- clients --------------------------------------------------------------------------------
    def create_key(self, role: str, name: str) -> str:
        if role not in ROLES:
            raise Refusal(message("user.unknown_role", role=role, roles=", ".join(ROLES)))
        key = "gt_" + secrets.token_urlsafe(32)
        with self.store.session() as s, s.begin():
            s.add(ApiKeyRow(name=name, role=role, key_hash=hash_key(key), created_at=clock.now()))
            s.add(_audit("access", "key.created", None, None, {"name": name, "role": role}, "gridtriage"))
        return key

    def client(self, key: str) -> ApiClient | None:
        digest = hash_key(key)
        cached = self._clients.get(digest)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        with self.store.session() as s:
            row = s.scalars(select(ApiKeyRow).where(ApiKeyRow.key_hash == digest,
                                                    ApiKeyRow.revoked_at.is_(None))).first()
            client = ApiClient(row.id, row.name, row.role) if row else None
        if client is not None:  # unknown keys are not cached: a key created a moment ago works at once
            self._clients[digest] = (client, time.monotonic() + self.key_cache_s)
        return client

    # ---- idempotency ----------------------------------------------------------------------------
    def remembered(self, client_id: int, key: str) -> IdempotencyRow | None:
        with self.store.session() as s:
            return s.scalars(select(IdempotencyRow).where(IdempotencyRow.api_key_id == client_id,
                                                          IdempotencyRow.key == key)).first()

    def remember(self, client_id: int, key: str, request_hash: str, status_code: int,
                 response: dict[str, Any]) -> bool:
        """False when another request stored an answer for this key first."""
        try:
            with self.store.session() as s, s.begin():
                s.add(IdempotencyRow(api_key_id=client_id, key=key, request_hash=request_hash,
                                     status_code=status_code, response=response, created_at=clock.now()))
            return True
        except IntegrityError:
            return False

    # ---- the city's mode ------------------------------------------------------------------------
    def city_mode(self) -> str | None:
        with self.store.session() as s:
            row = s.get(CitySettingRow, "mode")
            return row.value if row else None

    def set_city_mode(self, mode: str, actor: str, reason: str) -> str | None:
        now = clock.now()
        with self.store.session() as s, s.begin():
            row = s.get(CitySettingRow, "mode")
            before = row.value if row else None
            if row is None:
                s.add(CitySettingRow(name="mode", value=mode, updated_by=actor, updated_at=now))
            else:
                row.value, row.updated_by, row.updated_at = mode, actor, now
            s.add(_audit("mode", "city.mode_switched", None, None,
                         {"before": before, "after": mode, "reason": reason}, actor))
        return before

    # ---- lifecycle ------------------------------------------------------------------------------
    def transition(self, case_id: int, target: str, actor: str, note: str = "") -> str:
        """Move a case along an allowed edge; returns the status it had."""
        with self.store.session() as s, s.begin():
            return _move(s, _get_case(s, case_id), target, actor, note)

    # ---- review actions -------------------------------------------------------------------------
    def confirm(self, case_id: int, actor: str, note: str = "", dispatch: bool = True) -> None:
        """A person agrees with the draft: the decision is labelled data, and the case moves on."""
        with self.store.session() as s, s.begin():
            case = _get_case(s, case_id)
            if case.status != "received":
                raise Refusal(message("review.not_waiting", id=case_id, status=message(f"status.{case.status}")))
            now = clock.now()
            for field in ("category_id", "lead_department_id", "priority"):
                value = getattr(case, field)
                s.add(FeedbackRow(case_id=case_id, field=field, before=value, after=value,
                                  reason=note or "confirmed", actor=actor, created_at=now))
            target = "dispatched" if dispatch else "accepted"
            s.add(_audit("review", "case.confirmed", None, case_id,
                         {"category_id": case.category_id, "lead_department_id": case.lead_department_id,
                          "priority": case.priority, "note": note, "to": target}, actor))
            _move(s, case, target, actor, "confirmed")
            case.needs_review = False

    def edit(self, case_id: int, changes: dict[str, Any], reason: str, actor: str) -> dict[str, Any]:
        """Change fields of a case; each change is audited and stored as labelled feedback."""
        if not reason.strip():
            raise Refusal(message("review.reason_needed"))
        return {field: self.store.record_feedback(case_id, field, value, reason, actor)
                for field, value in changes.items()}

    def reassign(self, case_id: int, department_id: str, department_name: str, reason: str,
                 actor: str) -> str:
        if not reason.strip():
            raise Refusal(message("review.reason_needed"))
        with self.store.session() as s, s.begin():
            case = _get_case(s, case_id)
            before = case.lead_department_id
            now = clock.now()
            case.lead_department_id = department_id
            why = message("route.reassigned", actor=actor, reason=reason).model_dump()
            case.departments = [{"id": department_id, "name": department_name, "role": "lead", "score": 1.0,
                                 "clauses": [], "reason": why}] + [
                d for d in case.departments if d.get("role") == "assist" and d.get("id") != department_id]
            case.updated_at = now
            s.add(FeedbackRow(case_id=case_id, field="lead_department_id", before=before, after=department_id,
                              reason=reason, actor=actor, created_at=now))
            s.add(_audit("review", "case.reassigned", None, case_id,
                         {"before": before, "after": department_id, "reason": reason}, actor))
        return before

    def reject(self, case_id: int, reason: str, note: str, actor: str) -> None:
        with self.store.session() as s, s.begin():
            case = _get_case(s, case_id)
            _move(s, case, "rejected", actor, reason)
            s.add(_audit("review", "case.rejected", None, case_id, {"reason": reason, "note": note}, actor))
            case.needs_review = False
            s.add(FeedbackRow(case_id=case_id, field="rejected", before=None, after=reason, reason=note or reason,
                              actor=actor, created_at=clock.now()))

    def merge(self, case_id: int, into: int, reason: str, actor: str, different_place: bool = False) -> int:
        """Mark `case_id` a duplicate of `into`: its reports move there. Returns the new reporter count.
        Cases in different streets or districts merge only with `different_place` (a person confirmed
        the warning that names the difference)."""
        if case_id == into:
            raise Refusal(message("merge.into_itself"))
        with self.store.session() as s, s.begin():
            case, target = _get_case(s, case_id), _get_case(s, into)
            apart = _place_difference(case, target)
            if apart is not None and not different_place:
                kind, here, there = apart
                raise PlaceConflict(message(f"merge.different_{kind}", id=case_id, into=into, here=here, there=there))
            _move(s, case, "merged", actor, f"duplicate of {into}")
            case.merged_into = into
            if target.status not in OPEN:
                raise Refusal(message("merge.target_closed", into=into, status=message(f"status.{target.status}")))
            reports = s.scalars(select(ReportRow).where(ReportRow.case_id == case_id)).all()
            for report in reports:
                report.case_id = into
            target.reporter_count += case.reporter_count
            target.last_reported_at = max(target.last_reported_at, case.last_reported_at)
            now = clock.now()
            target.updated_at = case.updated_at = now
            s.add(_audit("review", "case.merged_into", None, case_id,
                         {"into": into, "reports": [r.id for r in reports], "reason": reason}, actor))
            s.add(_audit("review", "case.absorbed", None, into,
                         {"from": case_id, "reports": [r.id for r in reports], "reason": reason}, actor))
            case.needs_review = False
            s.add(FeedbackRow(case_id=case_id, field="duplicate_of", before=None, after=into, reason=reason,
                              actor=actor, created_at=now))
            return target.reporter_count

    def split_reports(self, case_id: int, new_case_id: int, report_ids: list[int], reason: str, actor: str) -> None:
        """After `new_case_id` was opened for the first of `report_ids`: move the others there too and
        fix both reporter counts."""
        with self.store.session() as s, s.begin():
            case, new = _get_case(s, case_id), _get_case(s, new_case_id)
            for report in s.scalars(select(ReportRow).where(ReportRow.id.in_(report_ids))).all():
                report.case_id = new_case_id
            s.flush()
            for row in (case, new):
                row.reporter_count = int(s.scalar(select(func.count()).select_from(ReportRow)
                                                  .where(ReportRow.case_id == row.id)) or 0)
                row.updated_at = clock.now()
            s.add(_audit("review", "case.split", None, case_id,
                         {"reports": report_ids, "new_case": new_case_id, "reason": reason}, actor))
            s.add(_audit("review", "case.split_from", None, new_case_id,
                         {"reports": report_ids, "from_case": case_id, "reason": reason}, actor))
            s.add(FeedbackRow(case_id=case_id, field="split", before=None, after=new_case_id, reason=reason,
                              actor=actor, created_at=clock.now()))

    # ---- reads ----------------------------------------------------------------------------------
    def cases(self, *, status: list[str] | None = None, category: str | None = None,
              department: str | None = None, priority: str | None = None, overdue: bool = False,
              needs_review: bool | None = None, min_confidence: float | None = None,
              max_confidence: float | None = None, older_than_minutes: float | None = None,
              limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """Cases matching every filter given, urgent first, then by deadline."""
        now = clock.now()
        q = select(CaseRow)
        if status:
            q = q.where(CaseRow.status.in_(status))
        if category:
            q = q.where((CaseRow.category_id == category) | CaseRow.category_id.startswith(category + "."))
        if department:
            q = q.where(CaseRow.lead_department_id == department)
        if priority:
            q = q.where(CaseRow.priority == priority)
        if overdue:
            q = q.where(CaseRow.resolve_by < now, CaseRow.status.in_(OPEN))
        if needs_review is not None:
            q = q.where(CaseRow.needs_review.is_(needs_review))
        if min_confidence is not None:
            q = q.where(CaseRow.confidence >= min_confidence)
        if max_confidence is not None:
            q = q.where(CaseRow.confidence <= max_confidence)
        if older_than_minutes is not None:
            q = q.where(CaseRow.created_at <= now - timedelta(minutes=older_than_minutes))
        rank = sql_case(PRIORITY_ORDER, value=CaseRow.priority, else_=9)
        emergency_first = sql_case((CaseRow.emergency.is_(None), 1), else_=0)
        q = q.order_by(emergency_first, CaseRow.urgent.desc(), rank, CaseRow.respond_by, CaseRow.id)
        q = q.offset(offset).limit(limit)
        with self.store.session() as s:
            return [_summary(r, now) for r in s.scalars(q).all()]

    def case_summary(self, case_id: int) -> dict[str, Any]:
        with self.store.session() as s:
            return _summary(_get_case(s, case_id), clock.now())

    def count_by_status(self) -> dict[str, int]:
        with self.store.session() as s:
            rows = s.execute(select(CaseRow.status, func.count()).group_by(CaseRow.status))
            return {status: int(n) for status, n in rows}



class PlaceConflict(Refusal):
    """Two cases a person wants to merge lie in different streets or districts."""


def _place_difference(a: CaseRow, b: CaseRow) -> tuple[str, str, str] | None:
    """("district" or "street", this place, that place) when the cases lie in different ones."""
    for kind in ("district", "street"):
        ids = getattr(a, f"{kind}_id"), getattr(b, f"{kind}_id")
        if all(ids) and ids[0] != ids[1]:
            names = [str(((case.place or {}).get(kind) or {}).get("name") or ids[i]) for i, case in enumerate((a, b))]
            return kind, names[0], names[1]
    return None


def _move(s: Session, case: CaseRow, target: str, actor: str, note: str) -> str:
    """Move a case along an allowed lifecycle edge, with its audit event; returns the status it had."""
    before = case.status
    check_transition(before, target)
    s.add(_audit("lifecycle", "case.transition", None, case.id, {"from": before, "to": target, "note": note}, actor))
    case.status, case.updated_at = target, clock.now()
    return before


def _summary(r: CaseRow, now: datetime) -> dict[str, Any]:
    return {
        "id": r.id, "status": r.status, "title": r.title, "category_id": r.category_id,
        "category_name": r.category_name, "priority": r.priority, "urgent": r.urgent,
        "confidence": r.confidence, "needs_review": r.needs_review, "reporter_count": r.reporter_count,
        "lead_department_id": r.lead_department_id, "mode": r.mode, "emergency": r.emergency,
        "merged_into": r.merged_into,
        "respond_by": r.respond_by.isoformat(), "resolve_by": r.resolve_by.isoformat(),
        "overdue": r.resolve_by < now and r.status in OPEN,
        "created_at": r.created_at.isoformat(),
    }
