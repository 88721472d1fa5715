"""Response bodies of the JSON routes, one model per answer, so /openapi.json documents each one.
Unknown fields are refused: an answer that drifts from its model fails loudly in the tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.frozen import Frozen
from core.records import CaseRecord, CaseSummary


class Public(Frozen):
    """An answer of the JSON API."""


class ErrorPublic(Public):
    """A refusal: why, in the caller's language (Accept-Language), and the catalogue's code for it
    (absent for a refusal from outside the catalogue, such as a missing key)."""

    detail: str
    code: str | None = None


class InternalErrorPublic(Public):
    """An unexpected error: `detail` says so in the caller's language; the log holds the cause under
    `request_id`."""

    detail: str
    code: Literal["internal"]
    request_id: str


class FieldErrorPublic(BaseModel):
    """One place where the request does not fit its schema (FastAPI may add more keys)."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int]
    msg: str
    type: str


class InvalidPublic(Public):
    detail: list[FieldErrorPublic]


UNPROCESSABLE: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorPublic | InvalidPublic,
          "description": "A rule refuses the request (`detail` says why, `code` names the rule), or the body or a "
                         "parameter does not fit its schema (`detail` lists each place)."}}
REFUSALS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorPublic, "description": "The caller's role may not do this to this case."},
    404: {"model": ErrorPublic, "description": "No such case."},
    409: {"model": ErrorPublic, "description": "The lifecycle or the places of the cases forbid it."},
    **UNPROCESSABLE,
}


# ---- cases -----------------------------------------------------------------------------------------
class CaseSummaryPublic(CaseSummary):
    """A case's row in a list or a queue."""


class CasePublic(CaseRecord):
    """A case with its reports, the evidence and the full audit trail. A reporter's contact reads
    `[已隐藏]` for roles without the personal-data ability."""


class VerificationPublic(Public):
    """智能核查 of a disposal: pass (on to the reply), needs_person (a supervisor decides) or fail
    (back to the department), with the reasons in the caller's language."""

    verdict: Literal["pass", "needs_person", "fail"]
    reasons: list[dict[str, Any]]  # {code, text, values?}
    relevance: float
    substance: float
    completeness: float | None = None
    evidence: dict[str, Any]


class DisposalAnsweredPublic(Public):
    """The answer to a disposal: the case after it, and the disposal's verification."""

    case: CaseSummaryPublic
    disposal_id: int
    attempt: int
    verification: VerificationPublic


class ReplyDraftPublic(Public):
    """A reply to the citizen for a person to edit and send (POST …/reply to send it)."""

    case_id: int
    disposal_id: int
    text: str
    source: Literal["template", "llm"]
    unsupported: list[str]  # figures, dates or names in the draft that the disposal does not contain
    fallback_reason: str | None = None
    latency_ms: float
    pending: bool = False  # a language model's draft is on its way: ask again in a few seconds


class ReplySentPublic(Public):
    case: CaseSummaryPublic
    reply_id: int


class ExportedReportPublic(Public):
    id: int
    text: str
    channel: str
    received_at: str


class CaseExportPublic(CaseSummaryPublic):
    """One line of GET /v1/export: the case's row, its decision and its reports' masked text."""

    summary: str
    draft: dict[str, Any]
    departments: list[dict[str, Any]]
    reports: list[ExportedReportPublic]


class CaseEditedPublic(CaseSummaryPublic):
    before: dict[str, Any] = Field(description="Each changed field's value before the edit.")


class CaseReassignedPublic(CaseSummaryPublic):
    before: str = Field(description="The lead department before.")


class CaseTransitionedPublic(CaseSummaryPublic):
    before: str = Field(description="The status before.")


class CaseMergedPublic(CaseSummaryPublic):
    """The merged case's row; `reporter_count` is the count of the case it joined."""

    into: int


class CaseSplitPublic(Public):
    case: CaseSummaryPublic
    new_case: CaseSummaryPublic


class BulkResultPublic(Public):
    done: list[int]
    failed: dict[int, str] = Field(description="Case id → why the action was refused for it.")


# ---- the city -------------------------------------------------------------------------------------
class ModeOptionPublic(Public):
    id: str
    name: str


class AreaModePublic(Public):
    """The mode set for one grid or exclusive grid: a case there follows the most urgent of it and
    the city's."""

    grid_id: str
    grid_name: str
    mode: str
    name: str
    updated_by: str
    updated_at: datetime


class ModePublic(Public):
    mode: str
    name: str
    auto_dispatch_threshold: float
    modes: list[ModeOptionPublic]
    areas: list[AreaModePublic] = Field(default_factory=list)


class ModeSwitchedPublic(Public):
    mode: str
    before: str | None = Field(description="The mode a supervisor switched to before; null if none did.")
    name: str
    auto_dispatch_threshold: float
    grid_id: str | None = Field(default=None, description="The grid whose mode changed; null for the city's.")


class DepartmentPublic(Public):
    id: str
    name: str
    level: str


class CategoryPublic(Public):
    id: str
    name: str
    parent: str


class HealthPublic(Public):
    status: str
    mode: str
    knowledge_base: str
    llm: str
    drafts_pending: int = Field(description="Cases waiting for, or being drafted by, a drafter process.")
    worker: int = Field(description="The answering worker's process id (`serve --workers N` runs several).")


# ---- Open311 GeoReport v2 (JSON; the .xml paths carry the same fields) ---------------------------------
class Open311ServicePublic(Public):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class Open311CreatedPublic(Public):
    service_request_id: str
    service_notice: str
    account_id: None


class Open311RequestPublic(Public):
    service_request_id: str
    status: str
    status_notes: str
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str
    requested_datetime: str | None
    updated_datetime: str | None
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: None
    lat: float | None
    long: float | None
    media_url: None


class Open311ErrorPublic(Public):
    code: int
    description: str


OPEN311_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": list[Open311ErrorPublic], "description": description} for code, description in (
        (400, "The request is incomplete or names an unknown service."), (401, "No API key, or an unknown one."),
        (403, "The key's role may not do this."))}
OPEN311_ERRORS[404] = {"model": list[Open311ErrorPublic], "description": "No such service request."}
