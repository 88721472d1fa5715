"""CaseStore: the one place cases, reports and audit events are written and read."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
from sqlalchemy import create_engine, delete, event, func, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from agent.deadlines import StageClock
from agent.lifecycle import ATTRACTS_DUPLICATES, check_transition
from agent.store.models import (
    AuditRow,
    BatchRowRow,
    CaseRow,
    DisposalPhotoRow,
    FeedbackRow,
    IdempotencyRow,
    PhotoRow,
    ReportRow,
)
from agent.store.notices import dispatched_to_grid
from agent.store.records import case_record
from core import clock
from core.messages import NotFound, Refusal, message
from core.records import CaseRecord
from core.types import IntakeResult

MIGRATIONS = Path(__file__).parent / "migrations"
AUTO_DISPATCHER = "gridtriage:auto-dispatch"  # the actor of a dispatch nobody had to confirm
T = TypeVar("T")
QUEUED = "queued"  # a drafting job waiting for a drafter process
DRAFT_RANKS = {"urgent": 0, "high": 1, "normal": 2, "low": 3}  # drafters take urgent cases first
# The fields a person may edit, with the one type each takes (a bool is not a number here, nor null a text)
EDITABLE: dict[str, type] = {"category_id": str, "lead_department_id": str, "priority": str, "urgent": bool,
                             "title": str, "summary": str}


def check_edits(changes: dict[str, Any]) -> None:
    """Refuse the first change to a field that is not editable or a value of the wrong type."""
    for name, after in changes.items():
        if name not in EDITABLE:
            raise Refusal(message("edit.unknown_field", field=name, fields=", ".join(sorted(EDITABLE))))
        if type(after) is not EDITABLE[name]:
            raise Refusal(message(f"edit.needs_{EDITABLE[name].__name__}", field=name,
                                  value=json.dumps(after, ensure_ascii=False)[:80]))


def head_revision() -> str:
    """The newest migration: each file in migrations/versions is named after its revision, NNNN_what.py."""
    return max(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


@dataclass(frozen=True)
class StoredReport:
    """What `store_triaged` wrote: the report, its case, the case's reporter count and status."""

    report_id: int
    case_id: int
    reporters: int
    status: str
    audit_ids: tuple[int, ...] = ()  # the audit events this transaction wrote


@dataclass(frozen=True)
class Receipt(Generic[T]):
    """The answer to the API request that sent a report, stored in the report's transaction: a retry
    with the same Idempotency-Key, even after a crash, gets this answer instead of storing the report
    again. `answer` makes (status code, body) from what was stored."""

    client_id: int
    key: str
    request_hash: str
    answer: Callable[[T], tuple[int, dict[str, Any]]]


class AlreadyAnswered(Exception):
    """Another request with the same client and Idempotency-Key stored its report first; nothing of
    this one was stored."""


@dataclass(frozen=True)
class TriagedReport:
    """Everything one triaged report stores: the report, its stage events (stage, event, payload),
    then either the case it merges into (with the dedup evidence) or a new case's fields and
    embedding; `batch_row` is (input file's SHA-256, row id) for a batch row; `dispatch_note` sends
    a new case straight to `dispatched` (auto-dispatch); `receipt` is the API request's answer;
    `draft_job` queues a new case for a language model's draft."""

    intake: IntakeResult
    events: list[tuple[str, str, dict[str, Any]]]
    reported_at: datetime
    merge_into: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    case_fields: dict[str, Any] = field(default_factory=dict)
    embedding: np.ndarray | None = None
    batch_row: tuple[str, str] | None = None
    dispatch_note: str | None = None
    receipt: Receipt[StoredReport] | None = None
    draft_job: QueuedDraft | None = None


@dataclass(frozen=True)
class QueuedDraft:
    """A language model's drafting job, stored on a new case in the report's transaction
    (agent/store/draft_queue.py serves it to drafter processes)."""

    facts: dict[str, Any]  # DraftFacts, as JSON
    priority: str  # urgent first

    def columns(self) -> dict[str, Any]:
        return {"draft_job": QUEUED, "draft_job_rank": DRAFT_RANKS.get(self.priority, len(DRAFT_RANKS)),
                "draft_job_queued_at": clock.now(), "draft_facts": self.facts}


CasePhotoHashes = tuple[int, str, str, tuple[tuple[str, str], ...]]  # case id, pHash, dHash, crop hashes


@dataclass(frozen=True)
class OpenCase:
    """What dedup needs to know about an open case."""

    id: int
    embedding: np.ndarray
    place: dict[str, Any]
    category_id: str
    last_reported_at: datetime
    kind: str = "incident"


class CaseStore:
    def __init__(self, url: str) -> None:
        if url.startswith(("postgresql://", "postgres://")):  # the installed driver is psycopg 3
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        self.url = url
        # The policy's step deadlines, set by whoever loaded the knowledge base; None: moves set none.
        self.stages: StageClock | None = None
        self.engine: Engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def open(cls, path: str | Path) -> CaseStore:
        """A SQLite file (created and migrated as needed) or an SQLAlchemy URL such as postgresql://…"""
        text = str(path)
        if "://" not in text:
            file = Path(text).expanduser()
            file.parent.mkdir(parents=True, exist_ok=True)
            text = f"sqlite:///{file}"
        store = cls(text)
        store.migrate()
        return store

    def migrate(self) -> None:
        """Bring the schema to the newest migration; Alembic loads only when there is one to run."""
        if self.revision() == head_revision():
            return
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("sqlalchemy.url", self.url)
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def revision(self) -> str | None:
        """The schema's migration, as Alembic recorded it; None for an empty database."""
        with self.engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def close(self) -> None:
        self.engine.dispose()

    def session(self) -> Session:
        return self._session()

    # ---- writes (one transaction each) --------------------------------------------------------
    def add_report(self, intake: IntakeResult) -> int:
        with self.session() as s, s.begin():
            return _insert_report(s, intake).id

    def store_triaged(self, triaged: TriagedReport) -> StoredReport:
        """A triaged report, its stage events, its new or merged case (auto-dispatched when asked),
        the batch row it came from and the answer to the request that sent it, in one transaction:
        after a crash either all of them are stored or none. Raises AlreadyAnswered when the
        receipt's Idempotency-Key was answered first by another request."""
        try:
            with self.session() as s, s.begin():
                return _store_triaged(s, triaged, self.stages)
        except IntegrityError as exc:
            if triaged.receipt is not None and _answered(self, triaged.receipt):
                raise AlreadyAnswered(triaged.receipt.key) from exc
            raise

    def batch_rows_stored(self, digest: str) -> set[str]:
        """The ids of the rows of the input file with this SHA-256 whose reports are stored."""
        with self.session() as s:
            return set(s.scalars(select(BatchRowRow.row_id).where(BatchRowRow.digest == digest)))

    def forget_batch(self, digest: str) -> None:
        """Forget which rows of this input file are stored, so that it is ingested afresh."""
        with self.session() as s, s.begin():
            s.execute(delete(BatchRowRow).where(BatchRowRow.digest == digest))

    def log(self, stage: str, event_name: str, payload: dict[str, Any], report_id: int | None = None,
            case_id: int | None = None, actor: str = "gridtriage") -> None:
        with self.session() as s, s.begin():
            s.add(_audit(stage, event_name, report_id, case_id, payload, actor))

    def create_case(self, report_id: int, fields: dict[str, Any], embedding: np.ndarray,
                    reported_at: datetime) -> int:
        with self.session() as s, s.begin():
            return _insert_case(s, _get_report(s, report_id), fields, embedding, reported_at).id

    def record_feedback(self, case_id: int, field: str, after: Any, reason: str, actor: str) -> Any:
        """A person changed (or confirmed) one field of a case. Returns the value before."""
        return self.record_edits(case_id, {field: after}, reason, actor)[field]

    def record_edits(self, case_id: int, changes: dict[str, Any], reason: str, actor: str) -> dict[str, Any]:
        """A person changed (or confirmed) fields of a case: the case, the audit log and the
        labelled-feedback table change in one transaction, all fields or none. Returns each
        field's value before."""
        check_edits(changes)
        if not reason.strip():
            raise Refusal(message("review.reason_needed"))
        now = clock.now()
        befores: dict[str, Any] = {}
        with self.session() as s, s.begin():
            case = _get_case(s, case_id)
            for field, after in changes.items():
                before = befores[field] = getattr(case, field)
                setattr(case, field, after)
                s.add(FeedbackRow(case_id=case_id, field=field, before=before, after=after, reason=reason,
                                  actor=actor, created_at=now))
                s.add(_audit("review", "case.confirmed" if before == after else "case.edited", None, case_id,
                             {"field": field, "before": before, "after": after, "reason": reason}, actor))
            case.updated_at = now
        return befores

    def feedback_labels(self, field: str = "category_id") -> list[tuple[str, str | None, str]]:
        """(text, title, label) for every report of every case a person has labelled in `field`;
        the latest decision on a case wins."""
        with self.session() as s:
            latest: dict[int, Any] = {}
            for case_id, after in s.execute(
                select(FeedbackRow.case_id, FeedbackRow.after).where(FeedbackRow.field == field)
                .order_by(FeedbackRow.id)
            ):
                latest[case_id] = after
            if not latest:
                return []
            reports = s.execute(select(ReportRow.case_id, ReportRow.text, ReportRow.title)
                                .where(ReportRow.case_id.in_(latest)))
            return [(text, title, str(latest[case_id])) for case_id, text, title in reports if case_id is not None]

    # ---- reads ----------------------------------------------------------------------------------
    def open_cases(self, case_id: int | None = None) -> Iterator[OpenCase]:
        """The cases that attract duplicates (the one case `case_id`, when given and it still does)."""
        with self.session() as s:
            query = (select(CaseRow.id, CaseRow.embedding, CaseRow.place, CaseRow.category_id,
                            CaseRow.last_reported_at, CaseRow.kind).where(CaseRow.status.in_(ATTRACTS_DUPLICATES)))
            rows = s.execute(query if case_id is None else query.where(CaseRow.id == case_id))
            for found, blob, place, category_id, last, kind in rows:
                yield OpenCase(found, np.frombuffer(blob, dtype=np.float32), place, category_id, last, kind)

    def open_case_photos(self, case_id: int | None = None) -> Iterator[CasePhotoHashes]:
        """(case id, pHash, dHash, centre-crop hashes) of every photo of every case that attracts
        duplicates (of the one case `case_id`, when given)."""
        with self.session() as s:
            query = (select(ReportRow.case_id, PhotoRow.phash, PhotoRow.dhash, PhotoRow.facts)
                     .join(ReportRow, PhotoRow.report_id == ReportRow.id)
                     .join(CaseRow, ReportRow.case_id == CaseRow.id)
                     .where(CaseRow.status.in_(ATTRACTS_DUPLICATES)))
            rows = s.execute(query if case_id is None else query.where(CaseRow.id == case_id))
            for case_id, phash, dhash, facts in rows:
                yield int(case_id), phash, dhash, tuple((p, d) for p, d in facts.get("crop_hashes", ()))

    def photo_format(self, sha256: str) -> str | None:
        """The stored format of a photo, or None when no report or disposal has it."""
        with self.session() as s:
            return (s.scalar(select(PhotoRow.format).where(PhotoRow.sha256 == sha256).limit(1))
                    or s.scalar(select(DisposalPhotoRow.format).where(DisposalPhotoRow.sha256 == sha256).limit(1)))

    def case_titles(self, case_ids: list[int]) -> dict[int, str]:
        with self.session() as s:
            rows = s.execute(select(CaseRow.id, CaseRow.title).where(CaseRow.id.in_(case_ids))).all()
            return {row.id: row.title for row in rows}

    def case(self, case_id: int) -> CaseRecord | None:
        with self.session() as s:
            return case_record(s, case_id)

    def count(self, table: str) -> int:
        model = {"cases": CaseRow, "reports": ReportRow, "audit_log": AuditRow, "feedback": FeedbackRow,
                 "photos": PhotoRow}[table]
        with self.session() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _insert_report(s: Session, intake: IntakeResult, case_id: int | None = None) -> ReportRow:
    row = ReportRow(
        case_id=case_id, text=intake.text, title=intake.title, channel=intake.channel,
        received_at=intake.received_at, reported_at=intake.reported_at,
        address=intake.address, lat=intake.lat, lon=intake.lon, contact=intake.contact,
        external_id=intake.external_id,
        personal_data=[{"kind": p.kind} for p in intake.personal_data],  # what masking hid, never the value
    )
    s.add(row)
    s.flush()
    now = clock.now()
    photos = [p.model_dump(mode="json") for p in intake.photos]
    for position, (photo, facts) in enumerate(zip(intake.photos, photos, strict=True)):
        s.add(PhotoRow(report_id=row.id, position=position, sha256=photo.sha256, format=photo.format,
                       phash=photo.phash, dhash=photo.dhash, taken_at=photo.taken_at,
                       facts=facts, created_at=now))
    s.add(_audit("intake", "report.received", row.id, None, {
        "channel": intake.channel, "text": intake.text, "title": intake.title,
        "personal_data_kinds": sorted({p.kind for p in intake.personal_data}),
        **({"photos": photos, "photo_text": intake.photo_text} if photos else {}),
    }))
    return row


def _store_triaged(s: Session, triaged: TriagedReport, stages: StageClock | None) -> StoredReport:
    with s.no_autoflush:  # the case's audit events stay new until the flush below, which lists them
        return _store_triaged_rows(s, triaged, stages)


def _store_triaged_rows(s: Session, triaged: TriagedReport, stages: StageClock | None) -> StoredReport:
    # Rows are passed on as objects, not ids: the session holds flushed rows only weakly, so a
    # lookup by id would read them back from the database.
    # The case first, so that the report is inserted already pointing at it.
    if triaged.merge_into is not None:
        case = _get_case(s, triaged.merge_into)
    else:
        fields = triaged.case_fields if triaged.draft_job is None else {
            **triaged.case_fields, **triaged.draft_job.columns()}
        case = _new_case(s, fields, triaged.embedding, triaged.reported_at)
    report = _insert_report(s, triaged.intake, case.id)
    report_id = report.id
    for stage, event_name, payload in triaged.events:
        s.add(_audit(stage, event_name, report_id, None, payload))
    if triaged.merge_into is not None:
        _merge(s, case, report, triaged.reported_at, triaged.evidence)
    else:
        _case_created(s, case, report_id)
    case_id, reporters = case.id, case.reporter_count
    if triaged.dispatch_note is not None and triaged.merge_into is None:
        move_case(s, case, "dispatched", AUTO_DISPATCHER, triaged.dispatch_note, stages)
    if triaged.batch_row is not None:
        digest, row_id = triaged.batch_row
        s.add(BatchRowRow(digest=digest, row_id=row_id, report_id=report_id, created_at=clock.now()))
    events = [row for row in s.new if isinstance(row, AuditRow)]
    s.flush()
    stored = StoredReport(report_id=report_id, case_id=case_id, reporters=reporters, status=case.status,
                          audit_ids=tuple(row.id for row in events))
    if triaged.receipt is not None:
        code, body = triaged.receipt.answer(stored)
        s.add(IdempotencyRow(api_key_id=triaged.receipt.client_id, key=triaged.receipt.key,
                             request_hash=triaged.receipt.request_hash, status_code=code, response=body,
                             created_at=clock.now()))
        s.flush()  # a key answered meanwhile by another process fails here, before anything is committed
    return stored


def _answered(store: CaseStore, receipt: Receipt[StoredReport]) -> bool:
    with store.session() as s:
        return s.scalars(select(IdempotencyRow.id).where(
            IdempotencyRow.api_key_id == receipt.client_id, IdempotencyRow.key == receipt.key)).first() is not None


def move_case(s: Session, case: CaseRow, target: str, actor: str, note: str,
              stages: StageClock | None = None) -> str:
    """Move a case along an allowed lifecycle edge, with its audit event, and set the deadline of the
    step it enters (`stages`: the policy's; None leaves none). Returns the status it had."""
    before = case.status
    check_transition(before, target)
    now = clock.now()
    due = stages.due_by(target, case.mode, case.priority, now, case.respond_by, case.due_by) if stages else None
    s.add(_audit("lifecycle", "case.transition", None, case.id,
                 {"from": before, "to": target, "note": note, "due_by": due.isoformat() if due else None}, actor))
    case.status, case.updated_at, case.due_by = target, now, due
    if target == "dispatched":
        dispatched_to_grid(s, case, actor)
    return before


def _insert_case(s: Session, report: ReportRow, fields: dict[str, Any], embedding: np.ndarray | None,
                 reported_at: datetime) -> CaseRow:
    """A new case for a stored report."""
    case = _new_case(s, fields, embedding, reported_at)
    report.case_id = case.id
    _case_created(s, case, report.id)
    return case


def _new_case(s: Session, fields: dict[str, Any], embedding: np.ndarray | None, reported_at: datetime) -> CaseRow:
    if embedding is None:
        raise ValueError("a new case needs the embedding of its report")
    now = clock.now()
    row = CaseRow(**fields, embedding=np.asarray(embedding, dtype=np.float32).tobytes(),
                  reporter_count=1, first_reported_at=reported_at, last_reported_at=reported_at,
                  created_at=now, updated_at=now)
    s.add(row)
    s.flush()
    return row


def _case_created(s: Session, case: CaseRow, report_id: int) -> None:
    s.add(_audit("draft", "case.created", report_id, case.id, {
        "status": case.status, "title": case.title, "category_id": case.category_id,
        "lead_department_id": case.lead_department_id, "needs_review": case.needs_review,
    }))


def _merge(s: Session, case: CaseRow, report: ReportRow, reported_at: datetime, evidence: dict[str, Any]) -> None:
    """Count a report (stored pointing at `case`) among the case's reporters."""
    case.reporter_count += 1
    case.last_reported_at = max(case.last_reported_at, reported_at)
    case.updated_at = clock.now()
    s.add(_audit("dedup", "case.merged", report.id, case.id, {"reporter_count": case.reporter_count, **evidence}))


def _get_report(s: Session, report_id: int) -> ReportRow:
    report = s.get(ReportRow, report_id)
    if report is None:
        raise NotFound(message("report.not_found", id=report_id))
    return report


def _get_case(s: Session, case_id: int) -> CaseRow:
    case = s.get(CaseRow, case_id)
    if case is None:
        raise NotFound(message("case.not_found", id=case_id))
    return case


def _audit(stage: str, event_name: str, report_id: int | None, case_id: int | None,
           payload: dict[str, Any], actor: str = "gridtriage") -> AuditRow:
    return AuditRow(stage=stage, event=event_name, report_id=report_id, case_id=case_id,
                    actor=actor, payload=payload, created_at=clock.now())


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
