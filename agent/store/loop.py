"""Closing the loop after dispatch (处置 → 核查 → 答复 → 回访): a department's disposal stored with
its verification, which moves the case on (pass), back to the department (fail), or leaves it to a
supervisor (needs a person); a supervisor's decision on such a case; the reply sent to the citizen;
and the callback, which closes the case or, when the citizen is unsatisfied, reopens it to the same
department. Each is one transaction with its audit events and lifecycle moves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from agent.lifecycle import WITH_DEPARTMENT
from agent.store.models import CallbackRow, CaseRow, DisposalPhotoRow, DisposalRow, ReplyRow
from agent.store.records import disposal_records
from agent.store.store import CaseStore, _audit, _get_case, move_case
from core import clock
from core.messages import Refusal, message
from core.photo_types import PhotoFacts
from core.records import DisposalRecord
from core.types import Disposal, Verification

SATISFACTIONS = ("satisfied", "basically", "unsatisfied")  # 满意 / 基本满意 / 不满意


@dataclass(frozen=True)
class Disposed:
    disposal_id: int
    attempt: int
    status: str  # where the case went: verified, returned, disposed (a person decides) or received


class LoopActions:
    def __init__(self, store: CaseStore) -> None:
        self.store = store

    def dispose(self, case_id: int, department_id: str, actor: str, disposal: Disposal,
                verification: Verification, queue_reply: bool = False) -> Disposed:
        """Store a department's disposal and its verification, and move the case by the verdict:
        `pass` → verified, `fail` → returned to the department, `needs_person` → stays disposed for
        a supervisor; `not_our_remit` goes back to the review queue with the department's reason.
        `queue_reply`: a language model drafts the reply once verified (the drafter processes)."""
        stages = self.store.stages
        with self.store.session() as s, s.begin():
            case = _get_case(s, case_id)
            _check_department(case, department_id)
            if case.status not in WITH_DEPARTMENT:
                raise Refusal(message("disposal.not_with_department", id=case_id,
                                      status=message(f"status.{case.status}")))
            if case.status != "handling":
                move_case(s, case, "handling", actor, "disposal", stages)
            move_case(s, case, "disposed", actor, disposal.outcome, stages)
            attempt = int(s.scalar(select(func.count()).select_from(DisposalRow)
                                   .where(DisposalRow.case_id == case_id)) or 0) + 1
            now = clock.now()
            checked = verification.model_dump(mode="json")
            checked["reasons"] = [m.public() for m in verification.reasons]
            row = DisposalRow(case_id=case_id, attempt=attempt, department_id=department_id, actor=actor,
                              reply=disposal.reply, outcome=disposal.outcome,
                              commitments=[{"text": c.text, "due": c.due.isoformat() if c.due else None}
                                           for c in disposal.commitments],
                              verdict=verification.verdict, verification=checked, created_at=now)
            s.add(row)
            s.flush()
            for position, photo in enumerate(disposal.photos):
                s.add(_photo_row(row.id, position, photo, now))
            s.add(_audit("disposal", "case.disposed", None, case_id, {
                "disposal_id": row.id, "attempt": attempt, "department_id": department_id,
                "outcome": disposal.outcome, "reply": disposal.reply, "commitments": row.commitments,
                "photos": [p.sha256 for p in disposal.photos]}, actor))
            s.add(_audit("verify", "case.verification", None, case_id, {
                "disposal_id": row.id, "verdict": verification.verdict, "reasons": checked["reasons"],
                "relevance": verification.relevance, "substance": verification.substance}, "verifier"))
            if disposal.outcome == "not_our_remit":
                move_case(s, case, "received", actor, disposal.reply, stages)
                case.needs_review = True
                s.add(_audit("review", "case.not_our_remit", None, case_id,
                             {"department_id": department_id, "reason": disposal.reply}, actor))
            elif verification.verdict == "pass":
                move_case(s, case, "verified", "verifier", "verification passed", stages)
                _queue_reply(case, queue_reply)
            elif verification.verdict == "fail":
                move_case(s, case, "returned", "verifier", "verification failed", stages)
                case.return_count = (case.return_count or 0) + 1
            return Disposed(disposal_id=row.id, attempt=attempt, status=case.status)

    def decide(self, case_id: int, verdict: str, note: str, actor: str, queue_reply: bool = False) -> str:
        """A supervisor decides a verification the machine left to a person: `pass` → verified,
        `fail` → returned to the department. Returns the case's new status."""
        if verdict not in ("pass", "fail"):
            raise Refusal(message("verify.decision_unknown", verdict=verdict))
        if verdict == "fail" and not note.strip():
            raise Refusal(message("verify.decision_reason_needed"))
        stages = self.store.stages
        with self.store.session() as s, s.begin():
            case = _get_case(s, case_id)
            row = _latest_disposal(s, case_id)
            if case.status != "disposed" or row is None:
                raise Refusal(message("verify.nothing_to_decide", id=case_id, status=message(f"status.{case.status}")))
            row.decided_verdict, row.decided_by, row.decided_at, row.decision_note = verdict, actor, clock.now(), note
            s.add(_audit("verify", "case.verification_decided", None, case_id, {
                "disposal_id": row.id, "machine": row.verdict, "verdict": verdict, "note": note}, actor))
            if verdict == "pass":
                move_case(s, case, "verified", actor, note or "verification passed by a person", stages)
                _queue_reply(case, queue_reply)
            else:
                move_case(s, case, "returned", actor, note, stages)
                case.return_count = (case.return_count or 0) + 1
            return case.status

    def send_reply(self, case_id: int, text: str, draft: dict[str, Any], actor: str) -> int:
        """The answer sent to the citizen (the text a person approved, beside the draft they were
        offered): the case becomes `replied`, waiting for the callback. Returns the reply's id."""
        stages = self.store.stages
        with self.store.session() as s, s.begin():
            case = _get_case(s, case_id)
            row = _latest_disposal(s, case_id)
            if case.status != "verified" or row is None:
                raise Refusal(message("reply.not_verified", id=case_id, status=message(f"status.{case.status}")))
            now = clock.now()
            reply = ReplyRow(case_id=case_id, disposal_id=row.id, draft=draft, text=text, sent_by=actor, sent_at=now)
            s.add(reply)
            s.flush()
            s.add(_audit("reply", "case.replied", None, case_id, {
                "reply_id": reply.id, "disposal_id": row.id, "text": text, "source": draft.get("source"),
                "edited": text.strip() != str(draft.get("text") or "").strip()}, actor))
            move_case(s, case, "replied", actor, "reply sent", stages)
            return reply.id

    def callback(self, case_id: int, satisfaction: str, note: str, actor: str) -> str:
        """回访: satisfied or basically satisfied closes the case; unsatisfied reopens it to the same
        department and counts the reopening. Returns the case's new status."""
        if satisfaction not in SATISFACTIONS:
            raise Refusal(message("callback.unknown", value=satisfaction,
                                  options=[message(f"satisfaction.{x}") for x in SATISFACTIONS]))
        if satisfaction == "unsatisfied" and not note.strip():
            raise Refusal(message("callback.note_needed"))
        stages = self.store.stages
        with self.store.session() as s, s.begin():
            case = _get_case(s, case_id)
            if case.status != "replied":
                raise Refusal(message("callback.not_replied", id=case_id, status=message(f"status.{case.status}")))
            s.add(CallbackRow(case_id=case_id, satisfaction=satisfaction, note=note, actor=actor,
                              created_at=clock.now()))
            if satisfaction == "unsatisfied":
                case.reopen_count = (case.reopen_count or 0) + 1
                s.add(_audit("callback", "case.callback", None, case_id, {
                    "satisfaction": satisfaction, "note": note, "reopened": case.reopen_count,
                    "department_id": case.lead_department_id}, actor))
                move_case(s, case, "reopened", actor, note, stages)
            else:
                s.add(_audit("callback", "case.callback", None, case_id,
                             {"satisfaction": satisfaction, "note": note}, actor))
                move_case(s, case, "closed", actor, f"callback: {satisfaction}", stages)
            return case.status

    def disposals(self, case_id: int) -> list[DisposalRecord]:
        with self.store.session() as s:
            return disposal_records(s, case_id)


def _queue_reply(case: CaseRow, queue: bool) -> None:
    """A new reply job for the drafter processes; a model's draft for an earlier disposal is dropped."""
    case.reply_draft = None
    case.reply_job = "queued" if queue else None
    case.reply_job_attempts, case.reply_job_claim = 0, None


def _check_department(case: CaseRow, department_id: str) -> None:
    if case.lead_department_id != department_id:
        raise Refusal(message("disposal.other_department", id=case.id, department=department_id))


def _latest_disposal(s: Any, case_id: int) -> DisposalRow | None:
    row: DisposalRow | None = s.scalars(select(DisposalRow).where(DisposalRow.case_id == case_id)
                                        .order_by(DisposalRow.id.desc()).limit(1)).first()
    return row


def _photo_row(disposal_id: int, position: int, photo: PhotoFacts, now: datetime) -> DisposalPhotoRow:
    return DisposalPhotoRow(disposal_id=disposal_id, position=position, sha256=photo.sha256, format=photo.format,
                            taken_at=photo.taken_at, facts=photo.model_dump(mode="json"), created_at=now)
