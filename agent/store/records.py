"""Stored rows into the read models of `core.records`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.lifecycle import OPEN
from agent.store.models import (
    AuditRow,
    CallbackRow,
    CaseRow,
    DisposalPhotoRow,
    DisposalRow,
    PhotoRow,
    ReplyRow,
    ReportRow,
)
from core.records import (
    AuditEntry,
    CallbackRecord,
    CaseRecord,
    CaseReport,
    CaseSummary,
    DisposalRecord,
    ReplyRecord,
)


def case_summary(row: CaseRow, now: datetime) -> CaseSummary:
    return CaseSummary(
        id=row.id, status=row.status, title=row.title, category_id=row.category_id,
        category_name=row.category_name, priority=row.priority, urgent=row.urgent, confidence=row.confidence,
        needs_review=row.needs_review, reporter_count=row.reporter_count, lead_department_id=row.lead_department_id,
        mode=row.mode, emergency=row.emergency, merged_into=row.merged_into, respond_by=row.respond_by,
        resolve_by=row.resolve_by, overdue=row.resolve_by < now and row.status in OPEN, created_at=row.created_at,
        due_by=row.due_by, return_count=row.return_count or 0, reopen_count=row.reopen_count or 0,
        **_grid_columns(row),
    )


def _grid_columns(row: CaseRow) -> dict[str, Any]:
    return {"grid_id": row.grid_id, "grid_first": bool(row.grid_first), "escalation_level": row.escalation_level,
            "escalation_step": row.escalation_step or 0}


def case_record(s: Session, case_id: int) -> CaseRecord | None:
    """The case with its reports (and their photos' facts) and every audit event of the case or of
    one of its reports, oldest first."""
    row = s.get(CaseRow, case_id)
    if row is None:
        return None
    reports = s.scalars(select(ReportRow).where(ReportRow.case_id == case_id)).all()
    report_ids = [r.id for r in reports]
    photos: dict[int, list[dict[str, Any]]] = {}
    for photo in s.scalars(select(PhotoRow).where(PhotoRow.report_id.in_(report_ids))
                           .order_by(PhotoRow.report_id, PhotoRow.position)):
        photos.setdefault(photo.report_id, []).append(photo.facts)
    audit = s.scalars(
        select(AuditRow)
        .where((AuditRow.case_id == case_id) | AuditRow.report_id.in_(report_ids))
        .order_by(AuditRow.id)
    ).all()
    return CaseRecord(
        id=row.id, status=row.status, title=row.title, summary=row.summary, category_id=row.category_id,
        category_name=row.category_name, priority=row.priority, urgent=row.urgent, confidence=row.confidence,
        needs_review=row.needs_review, reporter_count=row.reporter_count, lead_department_id=row.lead_department_id,
        departments=row.departments, place=row.place, draft=row.draft, draft_job=row.draft_job,
        draft_suggestion=row.draft_suggestion, mode=row.mode, emergency=row.emergency,
        merged_into=row.merged_into, respond_by=row.respond_by, resolve_by=row.resolve_by,
        due_by=row.due_by, return_count=row.return_count or 0, reopen_count=row.reopen_count or 0,
        reply_job=row.reply_job, reply_draft=row.reply_draft, disposals=disposal_records(s, case_id),
        **_grid_columns(row),
        replies=[reply_record(r) for r in s.scalars(
            select(ReplyRow).where(ReplyRow.case_id == case_id).order_by(ReplyRow.id))],
        callbacks=[CallbackRecord(id=c.id, satisfaction=c.satisfaction, note=c.note, actor=c.actor,
                                  created_at=c.created_at)
                   for c in s.scalars(select(CallbackRow).where(CallbackRow.case_id == case_id)
                                      .order_by(CallbackRow.id))],
        reports=[CaseReport(id=r.id, text=r.text, channel=r.channel, contact=r.contact, received_at=r.received_at,
                            external_id=r.external_id, photos=photos.get(r.id, [])) for r in reports],
        audit=[AuditEntry(id=a.id, stage=a.stage, event=a.event, actor=a.actor, report_id=a.report_id,
                          case_id=a.case_id, payload=a.payload, created_at=a.created_at) for a in audit],
    )


def disposal_records(s: Session, case_id: int) -> list[DisposalRecord]:
    """A case's disposals, first first, each with its after-photos' facts."""
    rows = s.scalars(select(DisposalRow).where(DisposalRow.case_id == case_id).order_by(DisposalRow.id)).all()
    photos: dict[int, list[dict[str, Any]]] = {}
    for photo in s.scalars(select(DisposalPhotoRow).where(DisposalPhotoRow.disposal_id.in_([r.id for r in rows]))
                           .order_by(DisposalPhotoRow.disposal_id, DisposalPhotoRow.position)):
        photos.setdefault(photo.disposal_id, []).append(photo.facts)
    return [DisposalRecord(id=r.id, attempt=r.attempt, department_id=r.department_id, actor=r.actor, reply=r.reply,
                           outcome=r.outcome, commitments=r.commitments, photos=photos.get(r.id, []),
                           verdict=r.verdict, verification=r.verification, decided_verdict=r.decided_verdict,
                           decided_by=r.decided_by, decided_at=r.decided_at, decision_note=r.decision_note,
                           created_at=r.created_at) for r in rows]


def reply_record(row: ReplyRow) -> ReplyRecord:
    return ReplyRecord(id=row.id, disposal_id=row.disposal_id, text=row.text, draft=row.draft, sent_by=row.sent_by,
                       sent_at=row.sent_at)
