"""What people (and the auto-dispatcher) do to a case after triage: lifecycle moves and the review
actions. Every action is one transaction that also writes the audit log and, for a decision, the
labelled-feedback table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from agent.lifecycle import OPEN
from agent.store.models import CaseRow, FeedbackRow, ReportRow
from agent.store.store import CaseStore, _audit, _get_case, move_case
from core import clock
from core.messages import Refusal, message


class PlaceConflict(Refusal):
    """Two cases a person wants to merge lie in different streets or districts."""


class CaseActions:
    def __init__(self, store: CaseStore) -> None:
        self.store = store

    def transition(self, case_id: int, target: str, actor: str, note: str = "") -> str:
        """Move a case along an allowed edge; returns the status it had."""
        with self.store.session() as s, s.begin():
            return move_case(s, _get_case(s, case_id), target, actor, note, self.store.stages)

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
            move_case(s, case, target, actor, "confirmed", self.store.stages)
            case.needs_review = False

    def edit(self, case_id: int, changes: dict[str, Any], reason: str, actor: str) -> dict[str, Any]:
        """Change fields of a case, all in one transaction; each change is audited and stored as
        labelled feedback. Returns each changed field's value before."""
        if not reason.strip():
            raise Refusal(message("review.reason_needed"))
        return self.store.record_edits(case_id, changes, reason, actor)

    def reassign(self, case_id: int, department_id: str, department_name: str, reason: str,
                 actor: str) -> str:
        """A new lead department (the assisting ones, and a grid-first case's grid, stay); returns the
        lead before."""
        if not reason.strip():
            raise Refusal(message("review.reason_needed"))
        with self.store.session() as s, s.begin():
            case = _get_case(s, case_id)
            before = case.lead_department_id
            now = clock.now()
            case.lead_department_id = department_id
            why = message("route.reassigned", actor=actor, reason=reason).model_dump()
            grid = [d for d in case.departments if d.get("role") == "grid"]  # a grid-first case stays with its grid
            case.departments = [*grid, {"id": department_id, "name": department_name, "role": "lead", "score": 1.0,
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
            move_case(s, case, "rejected", actor, reason, self.store.stages)
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
            move_case(s, case, "merged", actor, f"duplicate of {into}", self.store.stages)
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


def _place_difference(a: CaseRow, b: CaseRow) -> tuple[str, str, str] | None:
    """("district" or "street", this place, that place) when the cases lie in different ones."""
    for kind in ("district", "street"):
        ids = getattr(a, f"{kind}_id"), getattr(b, f"{kind}_id")
        if all(ids) and ids[0] != ids[1]:
            names = [str(((case.place or {}).get(kind) or {}).get("name") or ids[i]) for i, case in enumerate((a, b))]
            return kind, names[0], names[1]
    return None
