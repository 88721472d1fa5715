"""The answer to POST /v1/reports: the case drafted from the report (or the open case it joined),
with every decision's evidence, as `agent.output.public_case` writes it."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.responses import Public


class CategoryRefPublic(Public):
    id: str
    name: str
    parent: str
    parent_name: str


class AlternativePublic(Public):
    id: str
    name: str
    probability: float


class GridMemberPublic(Public):
    role: str = Field(description="网格长, 网格员 or 下沉干部")
    name: str
    duty_hours: str | None = Field(description="Local time, e.g. 08:00-20:00.")
    contact: str | None = Field(description="Hidden from roles without the personal-data ability.")


class GridPublic(Public):
    id: str
    name: str
    level: str = Field(description="community, grid, micro or exclusive")
    members: list[GridMemberPublic]


class PlacePublic(Public):
    text: str | None
    district: str | None
    street: str | None
    street_candidates: list[str]
    landmark: str | None
    roads: list[str]
    lat: float | None
    lon: float | None
    outside_city: str | None
    grid: GridPublic | None = Field(default=None, description="The most specific grid containing the point.")
    grid_candidates: list[GridPublic] = Field(default_factory=list, description=(
        "On a border, the grids that share it (the first is `grid`); with no usable point, the street's "
        "community grids."))
    grid_border: bool = Field(default=False, description="The point is on or near a border: handle it jointly.")


class ClausePublic(Public):
    id: str
    text: str


class DepartmentChoicePublic(Public):
    id: str
    name: str
    role: str = Field(description="lead or assist")
    score: float
    clauses: list[ClausePublic]


class DraftProposalPublic(Public):
    """What the drafter proposed; the pipeline's own decision stands and a difference goes to review."""

    category_id: str
    lead_department_id: str
    assisting_department_ids: list[str]
    priority: str


class PhotoPublic(Public):
    """What a photo contributed (no pixels: fetch them at `/v1/photos/{sha256}`)."""

    sha256: str
    format: str
    width: int
    height: int
    size_bytes: int
    filename: str | None
    ocr_text: str
    taken_at: str | None
    lat: float | None
    lon: float | None
    scene: dict[str, Any] | None


class ReportAcceptedPublic(Public):
    case_id: int
    report_id: int
    duplicate_of: int | None = Field(description="The open case the report joined; null for a new case.")
    reporter_count: int
    category: CategoryRefPublic
    confidence: float
    category_source: str
    alternatives: list[AlternativePublic]
    urgent: bool
    priority: str
    urgency_level: str
    urgency_reason: dict[str, Any] = Field(description="{code, text[, values]}: the catalogue's message.")
    urgency_evidence: list[str]
    emergency: dict[str, Any] | None
    place: PlacePublic
    departments: list[DepartmentChoicePublic]
    joint_handling: bool
    title: str
    summary: str
    request: str
    suggested_steps: list[str]
    rationale: str
    cited_clause_ids: list[str]
    drafter: str
    draft_fallback: str | None
    draft_proposal: DraftProposalPublic
    deadline: str
    deadlines: dict[str, Any]
    needs_review: bool
    review_reasons: list[dict[str, Any]]
    similar_cases: list[dict[str, Any]]
    photos: list[PhotoPublic]
    photo_text: str
    timings_ms: dict[str, float]
    status: str
    draft_status: str = Field(description="final, or llm_pending while a language model redrafts the case.")
