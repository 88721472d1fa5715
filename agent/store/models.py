"""Tables. The schema itself is created and changed only by the Alembic migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A point in time, stored in UTC and read back timezone-aware in UTC. A time without a zone is
    refused: SQLite keeps no offset, so a local time stored as it is would read back hours off."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"a stored time must be timezone-aware, got {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class CaseRow(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    category_id: Mapped[str] = mapped_column(String(120), index=True)
    category_name: Mapped[str] = mapped_column(String(120))
    priority: Mapped[str] = mapped_column(String(10))
    urgent: Mapped[bool] = mapped_column(Boolean)
    confidence: Mapped[float] = mapped_column(Float)
    needs_review: Mapped[bool] = mapped_column(Boolean)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    district_id: Mapped[str | None] = mapped_column(String(120), index=True)
    street_id: Mapped[str | None] = mapped_column(String(120), index=True)
    lead_department_id: Mapped[str] = mapped_column(String(120), index=True)
    mode: Mapped[str] = mapped_column(String(40))
    respond_by: Mapped[datetime] = mapped_column(UtcDateTime())
    arrive_by: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolve_by: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    reporter_count: Mapped[int] = mapped_column(Integer, default=1)
    place: Mapped[dict[str, Any]] = mapped_column(JSON)
    departments: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    draft: Mapped[dict[str, Any]] = mapped_column(JSON)
    emergency: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))  # when urgent: services, script
    merged_into: Mapped[int | None] = mapped_column(Integer)  # the case that took this one's reports
    kind: Mapped[str] = mapped_column(String(10), default="incident")  # incident | request
    embedding: Mapped[bytes] = mapped_column(LargeBinary)
    first_reported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_reported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The LLM drafting job (agent/store/draft_queue.py): queued, drafting, done, suggested, failed or
    # dropped; None when no model drafts this case. Claimed urgent first (rank), then oldest.
    draft_job: Mapped[str | None] = mapped_column(String(10))
    draft_job_rank: Mapped[int | None] = mapped_column(Integer)
    draft_job_queued_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    draft_job_claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    draft_job_claim: Mapped[str | None] = mapped_column(String(80))  # who holds it: host, pid and a nonce
    draft_job_attempts: Mapped[int] = mapped_column(Integer, default=0)
    draft_facts: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))  # DraftFacts, while queued
    draft_suggestion: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))  # a late LLM draft
    due_by: Mapped[datetime | None] = mapped_column(UtcDateTime())  # the current state's deadline (lifecycle)
    return_count: Mapped[int] = mapped_column(Integer, default=0)  # verification sent it back to the department
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)  # an unsatisfied citizen reopened it
    # The language model's reply draft (agent/store/reply_queue.py): queued when verification passes
    # and a model drafts replies; the drafter processes claim it like a case draft.
    reply_job: Mapped[str | None] = mapped_column(String(10))
    reply_job_claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reply_job_claim: Mapped[str | None] = mapped_column(String(80))
    reply_job_attempts: Mapped[int] = mapped_column(Integer, default=0)
    reply_draft: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))  # ReplyDraft + disposal_id
    # The grid the report's point lies in (place.grid), and whether its 网格员 handle the case first
    # (a `grid_first` category): dispatch notifies the grid, and its members whistle departments in.
    grid_id: Mapped[str | None] = mapped_column(String(120), index=True)
    grid_first: Mapped[bool] = mapped_column(Boolean, default=False)
    # The escalation ladder (agent/store/escalation.py): steps fired so far, the level the case is at
    # now, and when the next step fires if the case is still overdue.
    escalation_step: Mapped[int] = mapped_column(Integer, default=0)
    escalation_level: Mapped[str | None] = mapped_column(String(20))
    escalation_due_by: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ReportRow(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    address: Mapped[str | None] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    contact: Mapped[str | None] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(200), index=True)
    personal_data: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{kind}]: what masking hid, no values


class AuditRow(Base):
    """Append-only: the migration adds triggers that refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    report_id: Mapped[int | None] = mapped_column(Integer, index=True)
    stage: Mapped[str] = mapped_column(String(40))
    event: Mapped[str] = mapped_column(String(80))
    actor: Mapped[str] = mapped_column(String(120))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class FeedbackRow(Base):
    """A person's change to a drafted case (a confirmation keeps before == after): labelled data."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    field: Mapped[str] = mapped_column(String(60), index=True)
    before: Mapped[Any] = mapped_column(JSON)
    after: Mapped[Any] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ApiKeyRow(Base):
    """An API client. Only the SHA-256 of the key is stored; the key is shown once, at creation."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)  # None: the server's default
    department_id: Mapped[str | None] = mapped_column(String(120))  # the department role's one department
    grid_id: Mapped[str | None] = mapped_column(String(120))  # the grid role's one grid


class IdempotencyRow(Base):
    """The answer given to one (client, Idempotency-Key): a retry gets the same answer."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    api_key_id: Mapped[int] = mapped_column(Integer, index=True)
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CitySettingRow(Base):
    """City-wide state changed at run time, such as the mode (平时/节假日/重大活动/应急)."""

    __tablename__ = "city_settings"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PhotoRow(Base):
    """A photo of a report. The bytes live on disk under their SHA-256 (PhotoFiles); `facts` is what
    intake read from them (PhotoFacts: OCR text, EXIF time and place, perceptual hashes, scene)."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    format: Mapped[str] = mapped_column(String(10))
    phash: Mapped[str] = mapped_column(String(16))
    dhash: Mapped[str] = mapped_column(String(16))
    taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class UserRow(Base):
    """A person who logs in to the web pages. Only a salted scrypt hash of the password is stored."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    department_id: Mapped[str | None] = mapped_column(String(120))  # the department role's one department
    grid_id: Mapped[str | None] = mapped_column(String(120))  # the grid role's one grid


class LoginTokenRow(Base):
    """A one-time login link (`gridtriage serve` prints one): the SHA-256 of the token, used once."""

    __tablename__ = "login_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class BatchRowRow(Base):
    """A row of a batch input file whose report is stored: the file's SHA-256 and the row's id (its
    id column, else its line or row number), so a rerun of the same file skips it."""

    __tablename__ = "batch_rows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), index=True)
    row_id: Mapped[str] = mapped_column(String(200))
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WebSessionRow(Base):
    """A web login: the cookie carries a random session id, the table its SHA-256. Logging out, or a
    change of the user's password, revokes it on the server, so a saved cookie opens nothing."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # user, key or link
    principal: Mapped[int] = mapped_column(Integer, index=True)  # the user's or the key's id; 0 for a link
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class DisposalRow(Base):
    """What a department reported it did about a case (处置), and its verification (智能核查): the
    machine's verdict, and a supervisor's decision when the machine left it to a person."""

    __tablename__ = "disposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)  # 1 for the first disposal of the case, then 2, …
    department_id: Mapped[str] = mapped_column(String(120), index=True)
    actor: Mapped[str] = mapped_column(String(120))
    reply: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20))
    commitments: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{text, due}]
    verdict: Mapped[str] = mapped_column(String(20), index=True)  # pass | needs_person | fail
    verification: Mapped[dict[str, Any]] = mapped_column(JSON)  # Verification as JSON
    decided_verdict: Mapped[str | None] = mapped_column(String(20))  # a supervisor's pass | fail
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class DisposalPhotoRow(Base):
    """An after-photo of a disposal; the bytes live on disk under their SHA-256 like reports' photos."""

    __tablename__ = "disposal_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disposal_id: Mapped[int] = mapped_column(ForeignKey("disposals.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    format: Mapped[str] = mapped_column(String(10))
    taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)  # PhotoFacts
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReplyRow(Base):
    """The answer sent to the citizen: the text a person sent, and the draft they were offered."""

    __tablename__ = "replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    disposal_id: Mapped[int] = mapped_column(ForeignKey("disposals.id"))
    draft: Mapped[dict[str, Any]] = mapped_column(JSON)  # ReplyDraft as offered
    text: Mapped[str] = mapped_column(Text)
    sent_by: Mapped[str] = mapped_column(String(120))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class CallbackRow(Base):
    """回访: the citizen's satisfaction with how the case was handled."""

    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    satisfaction: Mapped[str] = mapped_column(String(20))  # satisfied | basically | unsatisfied
    note: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class AreaModeRow(Base):
    """The mode of one grid or exclusive grid (专属网格), beside the city's (CitySettingRow `mode`)."""

    __tablename__ = "area_modes"

    grid_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    mode: Mapped[str] = mapped_column(String(40))
    updated_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WhistleRow(Base):
    """吹哨: a grid member (or a supervisor on the grid's behalf) calls departments in to a case."""

    __tablename__ = "whistles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    grid_id: Mapped[str | None] = mapped_column(String(120), index=True)
    note: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(120))
    mode: Mapped[str] = mapped_column(String(40))  # the mode whose report-in time applies
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class WhistleCallRow(Base):
    """One department a whistle calls in, and its 报到: reported by `due_by`, or escalated once."""

    __tablename__ = "whistle_calls"
    __table_args__ = (UniqueConstraint("whistle_id", "department_id", name="uq_whistle_calls_department"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    whistle_id: Mapped[int] = mapped_column(ForeignKey("whistles.id"), index=True)
    case_id: Mapped[int] = mapped_column(Integer, index=True)
    department_id: Mapped[str] = mapped_column(String(120), index=True)
    due_by: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reported_by: Mapped[str | None] = mapped_column(String(120))
    report_note: Mapped[str | None] = mapped_column(Text)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class EscalationRow(Base):
    """One escalation that fired. `key` is unique: a ladder step (`case:ID:step:N`) or a missed
    report-in (`call:ID`) is stored once however many schedulers see it due at the same moment."""

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    case_id: Mapped[int] = mapped_column(Integer, index=True)
    step: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(20))  # the level it went to
    reason: Mapped[str] = mapped_column(String(20))  # respond, arrive, resolve, due, step, report_in
    deadline: Mapped[datetime] = mapped_column(UtcDateTime())  # the deadline that passed
    next_due_by: Mapped[datetime | None] = mapped_column(UtcDateTime())  # this step's own deadline
    fired_by: Mapped[str] = mapped_column(String(80))  # the scheduler: host, pid and a nonce
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class NotificationRow(Base):
    """A notice for the people at one level: `audience` is `city` (the city centre), `street:ID`,
    `district:ID`, `department:ID` or `grid:ID`. The text is a catalogue message (code and values)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    audience: Mapped[str] = mapped_column(String(140), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # grid_dispatch, whistle, reported_in, escalated, report_missed
    code: Mapped[str] = mapped_column(String(80))
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
