"""What the case store gives its readers: a case with its reports and audit trail, a case's row in
a queue, a page of a queue, the count of cases in each status, and the dashboard's figures. Frozen
pydantic models; every time in them is timezone-aware UTC. In JSON a case's rows and the figures
write times as `datetime.isoformat()` does ("…+00:00"), a case with its trail as pydantic does ("…Z")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, PlainSerializer, WithJsonSchema

from core.frozen import Frozen


def _iso(moment: datetime) -> str:
    return moment.isoformat()


IsoTime = Annotated[datetime, PlainSerializer(_iso, return_type=str, when_used="json"),
                    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization")]


class CaseFilter(Frozen):
    """Which cases a queue shows; a filter left as None does not narrow it."""

    status: list[str] | None = None
    category: str | None = None  # a leaf, or a top-level category and every leaf under it
    department: str | None = None  # the lead department
    grid: str | None = None  # the grid the case's point lies in
    priority: str | None = None
    overdue: bool = False  # open cases past their resolve-by time
    needs_review: bool | None = None
    min_confidence: float | None = None
    max_confidence: float | None = None
    older_than_minutes: float | None = None


class CaseHead(Frozen):
    """What every view of a case shows: its decision, its state and its deadlines."""

    id: int
    status: str
    title: str
    category_id: str
    category_name: str
    priority: str
    urgent: bool
    confidence: float
    needs_review: bool
    reporter_count: int
    lead_department_id: str
    mode: str
    emergency: dict[str, Any] | None  # when urgent: the services to call and the operator's script
    merged_into: int | None  # the case that took this one's reports
    due_by: IsoTime | None = None  # the deadline of the step the case is in (None when nothing is due)
    return_count: int = 0  # times verification sent it back to the department
    reopen_count: int = 0  # times an unsatisfied citizen reopened it
    grid_id: str | None = None  # the grid its point lies in
    grid_first: bool = False  # dispatched to the grid's 网格员 first (a grid-first category with a grid)
    escalation_level: str | None = None  # grid, street, district or city once an overdue step escalated it
    escalation_step: int = 0  # escalation steps fired so far


class CaseSummary(CaseHead):
    """A case's row in a queue or a list."""

    respond_by: IsoTime
    resolve_by: IsoTime
    overdue: bool  # open and past its resolve-by time
    created_at: IsoTime


class CaseReport(Frozen):
    """A report that belongs to a case (its text is masked at intake)."""

    id: int
    text: str
    channel: str
    contact: str | None
    received_at: datetime
    external_id: str | None
    photos: list[dict[str, Any]]  # what intake read from each photo (PhotoFacts as stored)


class AuditEntry(Frozen):
    """One event of the append-only audit log."""

    id: int
    stage: str
    event: str
    actor: str
    report_id: int | None
    case_id: int | None
    payload: dict[str, Any]
    created_at: datetime


class DisposalRecord(Frozen):
    """A department's disposal (处置) of a case and its verification (智能核查)."""

    id: int
    attempt: int
    department_id: str
    actor: str
    reply: str
    outcome: str
    commitments: list[dict[str, Any]]  # [{text, due}]
    photos: list[dict[str, Any]]  # the after-photos' facts (PhotoFacts as stored)
    verdict: str  # the machine's: pass | needs_person | fail
    verification: dict[str, Any]  # Verification as JSON: reasons, scores, evidence
    decided_verdict: str | None = None  # a supervisor's pass | fail, when the machine left it to a person
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None
    created_at: datetime

    @property
    def final_verdict(self) -> str:
        return self.decided_verdict or self.verdict


class ReplyRecord(Frozen):
    """The answer sent to the citizen, and the draft the sender was offered."""

    id: int
    disposal_id: int
    text: str
    draft: dict[str, Any]
    sent_by: str
    sent_at: datetime


class CallbackRecord(Frozen):
    """回访: the citizen's satisfaction."""

    id: int
    satisfaction: str  # satisfied | basically | unsatisfied
    note: str
    actor: str
    created_at: datetime


class CaseRecord(CaseHead):
    """A case with its draft, its departments, its reports and its full audit trail."""

    respond_by: datetime
    resolve_by: datetime
    summary: str
    departments: list[dict[str, Any]]  # lead first, then assisting; each with its clauses and reason
    place: dict[str, Any]
    draft: dict[str, Any]
    # The language model's drafting job: queued, drafting, done, suggested, failed or dropped; None
    # when no model drafts this case. `draft_suggestion`: a model's draft that arrived after a
    # person edited the case, kept beside their edit.
    draft_job: str | None = None
    draft_suggestion: dict[str, Any] | None = None
    reports: list[CaseReport]
    audit: list[AuditEntry]
    # The language model's reply draft: its job (queued, drafting, done, failed) and the draft with
    # the id of the disposal it answers; None when no model drafts replies.
    reply_job: str | None = None
    reply_draft: dict[str, Any] | None = None
    disposals: list[DisposalRecord] = Field(default_factory=list)
    replies: list[ReplyRecord] = Field(default_factory=list)
    callbacks: list[CallbackRecord] = Field(default_factory=list)


class QueuePage(Frozen):
    """Cases matching a filter, emergencies and urgent cases first, then by deadline."""

    rows: list[CaseSummary]
    limit: int
    offset: int = 0

    @property
    def full(self) -> bool:
        """The page holds `limit` rows: more cases may match."""
        return len(self.rows) >= self.limit


class StatusCounts(Frozen):
    counts: dict[str, int]  # status → cases in it; statuses with no case are absent


class CategoryFigure(Frozen):
    id: str
    name: str
    today: int
    week: int


class DepartmentFigure(Frozen):
    id: str
    today: int
    week: int


class OverdueDepartment(Frozen):
    id: str
    count: int


class HotIssue(Frozen):
    """An open case whose reports grow fastest."""

    id: int
    title: str
    category: str
    department: str
    status: str
    reporters: int
    last_24h: int  # reports received in the last 24 hours
    before: int  # reports received in the 24 hours before those


class DashboardFigures(Frozen):
    """Today's and this week's figures on the city's calendar (a merged case counts as its target)."""

    today: int
    week: int
    open: int
    auto_dispatched: int
    auto_dispatch_rate: float
    edited: int
    edited_share: float
    decided_by_people: int
    categories: list[CategoryFigure]
    departments: list[DepartmentFigure]
    overdue: int
    overdue_by_priority: dict[str, int]
    overdue_departments: list[OverdueDepartment]
    hot: list[HotIssue]
    week_start: IsoTime  # the city's Monday 00:00
    today_start: IsoTime  # the city's midnight
