"""Domain types passed between the pipeline stages.

Every stage takes and returns these frozen pydantic models, so a result can be logged to the audit
trail and returned from the CLI or API exactly as the stage produced it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

import numpy as np
from pydantic import ConfigDict, Field

from core.frozen import Frozen
from core.messages import Message
from core.photo_types import PhotoBlob, PhotoFacts, PhotoIn

Priority = Literal["urgent", "high", "normal", "low"]
DepartmentRole = Literal["lead", "assist"]
PRIORITIES: tuple[Priority, ...] = get_args(Priority)


class ReportIn(Frozen):
    """A citizen report as it arrives from any channel. `text` may be empty when photos are given."""

    text: str
    title: str | None = None
    channel: str = "cli"
    received_at: datetime | None = None
    reported_at: datetime | None = None
    address: str | None = None
    lat: float | None = None
    lon: float | None = None
    contact: str | None = None
    external_id: str | None = None
    photos: tuple[PhotoIn, ...] = ()


class PersonalDatum(Frozen):
    kind: str
    value: str
    start: int
    end: int


class IntakeResult(Frozen):
    """A validated report: the masked text people and logs see, and the normalised text for matching."""

    text: str
    title: str | None
    matching_text: str
    channel: str
    received_at: datetime
    reported_at: datetime | None
    address: str | None
    lat: float | None
    lon: float | None
    contact: str | None
    external_id: str | None
    personal_data: tuple[PersonalDatum, ...] = ()
    photos: tuple[PhotoFacts, ...] = ()
    photo_text: str = ""  # the photos' OCR text (masked); part of matching_text, shown apart from `text`


class PlaceRef(Frozen):
    id: str
    name: str


class GridMemberRef(Frozen):
    """A grid's person on duty. `contact` is shown only to readers with the personal-data ability."""

    role: str  # 网格长 | 网格员 | 下沉干部
    name: str
    duty_hours: str | None = None  # "08:00-20:00", local time
    contact: str | None = None


class GridRef(Frozen):
    id: str
    name: str
    level: Literal["community", "grid", "micro", "exclusive"]
    members: tuple[GridMemberRef, ...] = ()


class Place(Frozen):
    """Where the report is, resolved against the knowledge base's places and grids."""

    text: str | None = None
    district: PlaceRef | None = None
    street: PlaceRef | None = None
    street_candidates: tuple[PlaceRef, ...] = ()
    landmark: PlaceRef | None = None
    roads: tuple[PlaceRef, ...] = ()
    crossing: tuple[str, ...] = ()
    detail: str | None = None
    lat: float | None = None
    lon: float | None = None
    outside_city: str | None = None
    evidence: tuple[str, ...] = ()
    # The grid the report's point lies in (the most specific); with no usable point, or on a border
    # between grids, the grids that may own it, the first the likeliest.
    grid: GridRef | None = None
    grid_candidates: tuple[GridRef, ...] = ()
    grid_border: bool = False  # the point is on or near a border: the grids listed handle it jointly

    @property
    def ambiguous(self) -> bool:
        return self.street is None and len(self.street_candidates) > 1


class CategoryRef(Frozen):
    id: str
    name: str
    parent: str
    parent_name: str


class CategoryScore(Frozen):
    category: CategoryRef
    probability: float
    evidence: dict[str, float] = Field(default_factory=dict)


class Classification(Frozen):
    category: CategoryRef
    confidence: float
    alternatives: tuple[CategoryScore, ...]
    matched_keywords: tuple[str, ...] = ()
    # "text": the classifier read the report (and its photos' text); "photo": a vision backend named the
    # category from the photo alone; "none": a photo-only report nobody could read, left to a person
    source: Literal["text", "photo", "none"] = "text"


class UrgencySignal(Frozen):
    id: str
    label: str
    matched: str


class EmergencyCall(Frozen):
    """An emergency service to bring in now, as the knowledge base's policy names it."""

    id: str
    name: str
    number: str


class Emergency(Frozen):
    """The emergency protocol for a report that needs an emergency service now: who to call, and
    the lines the operator reads to the caller."""

    call: tuple[EmergencyCall, ...]
    script: tuple[str, ...]


UrgencyLevel = Literal["urgent", "high", "normal"]


class Urgency(Frozen):
    """`urgent`: life, or many people, in danger now; `high`: a hazard to remove quickly. `priority`
    also carries the category's own default (a wage dispute is `high` whatever its wording)."""

    level: UrgencyLevel
    urgent: bool
    priority: Priority
    probabilities: dict[str, float] = Field(default_factory=dict)  # the urgency model's, per level
    signals: tuple[UrgencySignal, ...] = ()
    evidence: tuple[str, ...] = ()  # the words that weighed most for the level
    reason: Message
    emergency: Emergency | None = None


class Understanding(Frozen):
    place: Place
    classification: Classification
    urgency: Urgency
    kind: Literal["incident", "request"] = "incident"  # something wrong now, or a request for something new


class DedupCandidate(Frozen):
    case_id: int
    similarity: float
    place_match: float
    category_match: bool
    hours_apart: float
    score: float
    verdict: Literal["duplicate", "related", "different"]
    reason: Message
    photo_distance: int | None = None  # Hamming distance to the case's nearest photo, when one matched


class DedupResult(Frozen):
    duplicate_of: int | None
    related: tuple[int, ...] = ()
    candidates: tuple[DedupCandidate, ...] = ()


class ClauseRef(Frozen):
    id: str
    text: str
    score: float = 0.0


class DepartmentAssignment(Frozen):
    id: str
    name: str
    role: DepartmentRole
    score: float
    clauses: tuple[ClauseRef, ...] = ()
    jurisdiction: PlaceRef | None = None
    reason: Message | None = None


class RankedDepartment(Frozen):
    id: str
    score: float
    clauses: tuple[ClauseRef, ...] = ()


class Routing(Frozen):
    departments: tuple[DepartmentAssignment, ...]
    ranking: tuple[RankedDepartment, ...] = ()
    joint: bool = False
    reasons: tuple[Message, ...] = ()

    @property
    def lead(self) -> DepartmentAssignment:
        return next(d for d in self.departments if d.role == "lead")


class Deadlines(Frozen):
    mode: str
    respond_by: datetime
    arrive_by: datetime | None
    resolve_by: datetime


class SimilarCase(Frozen):
    case_id: int
    title: str
    verdict: str


class DraftFacts(Frozen):
    """Everything a drafter may use; drafters (template or LLM) turn it into a CaseDraft."""

    intake: IntakeResult
    understanding: Understanding
    routing: Routing
    dedup: DedupResult
    deadlines: Deadlines
    similar_cases: tuple[SimilarCase, ...] = ()


class CaseDraft(Frozen):
    """The case file. The category, departments and priority a drafter proposes may differ from
    the pipeline's decision; the pipeline keeps its own and sends any difference to review."""

    title: str
    summary: str
    place: str
    request: str
    suggested_steps: tuple[str, ...]
    category_id: str
    lead_department_id: str
    assisting_department_ids: tuple[str, ...] = ()
    cited_clause_ids: tuple[str, ...]
    priority: Priority
    rationale: str
    drafter: str


class LLMCall(Frozen):
    """One request to a language model, as the audit log keeps it (the prompt is already masked)."""

    provider: str
    model: str
    prompt_id: str
    prompt_version: int
    attempt: int
    messages: tuple[dict[str, str], ...]
    raw_output: str | None = None
    parsed: dict[str, Any] | None = None
    error: str | None = None
    rejected: tuple[str, ...] = ()
    latency_ms: float
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class DraftOutcome(Frozen):
    draft: CaseDraft
    calls: tuple[LLMCall, ...] = ()
    fallback_reason: str | None = None


class PreparedReport(Frozen):
    """A report understood and routed but not yet stored: what `commit` needs."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    intake: IntakeResult
    understanding: Understanding
    routing: Routing
    vector: np.ndarray
    photo_blobs: tuple[PhotoBlob, ...] = ()
    timings_ms: dict[str, float] = Field(default_factory=dict)


class TriageResult(Frozen):
    """What the pipeline returns for one report: the stored case and every decision's evidence."""

    case_id: int
    report_id: int
    duplicate_of: int | None
    reporter_count: int
    status: str = Field(description="The case's lifecycle status once the report was stored.")
    intake: IntakeResult
    understanding: Understanding
    dedup: DedupResult
    routing: Routing
    deadlines: Deadlines
    draft: CaseDraft
    draft_fallback: str | None = None
    draft_queued: bool = False  # a drafter process will replace the draft with a language model's
    needs_review: bool
    review_reasons: tuple[Message, ...] = ()
    timings_ms: dict[str, float] = Field(default_factory=dict)


Outcome = Literal["resolved", "partly", "explained", "not_our_remit"]
Verdict = Literal["pass", "needs_person", "fail"]


class Commitment(Frozen):
    """Something a department promises to do later, by when."""

    text: str
    due: datetime | None = None


class Disposal(Frozen):
    """What a department reports it did about a case (处置): its reply, the outcome, after-photos
    and commitments."""

    reply: str
    outcome: Outcome
    photos: tuple[PhotoFacts, ...] = ()
    commitments: tuple[Commitment, ...] = ()


class VerifiedCase(Frozen):
    """What verification compares a disposal with: the report as the case holds it, with the photos
    the report came with (the before-photos)."""

    text: str
    title: str | None = None
    reported_at: datetime
    lat: float | None = None
    lon: float | None = None
    photos: tuple[PhotoFacts, ...] = ()


class Verification(Frozen):
    """智能核查 of one disposal: pass, a person decides, or back to the department, with the reasons."""

    verdict: Verdict
    reasons: tuple[Message, ...]
    relevance: float
    substance: float
    completeness: float | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)


class ReplyFacts(Frozen):
    """What a reply to the citizen is drafted from: the report as the case holds it (masked) and the
    department's disposal. The reply may state no fact that is not here."""

    case_id: int
    title: str
    report: str
    place: str | None = None
    department: str
    disposal: str  # the department's reply, what it found and did
    outcome: Outcome
    commitments: tuple[Commitment, ...] = ()


ReplySource = Literal["template", "llm"]


class ReplyDraft(Frozen):
    """A reply to the citizen for a person to edit and send, with the facts check's findings."""

    text: str
    source: ReplySource
    unsupported: tuple[str, ...] = ()  # figures, dates or names in the text that the facts do not contain
    fallback_reason: str | None = None  # why the model's reply was not used
    calls: tuple[LLMCall, ...] = ()
    latency_ms: float = 0.0
