"""Cases: the list and the review queue, one case with its reports and audit trail, the review
actions (confirm, edit, reassign, reject, merge, split, bulk) and lifecycle transitions. The rules
live in the case service, which the pages call too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from api.deps import CasesDep, Editor, Exporter, LifecycleActor, Reader, Reviewer
from api.responses import (
    REFUSALS,
    UNPROCESSABLE,
    BulkResultPublic,
    CaseEditedPublic,
    CaseMergedPublic,
    CasePublic,
    CaseReassignedPublic,
    CaseSplitPublic,
    CaseSummaryPublic,
    CaseTransitionedPublic,
)
from api.schemas import (
    MAX_MINUTES,
    BulkConfirm,
    BulkReassign,
    CaseIdPath,
    Confirm,
    Edit,
    Merge,
    Offset,
    Reassign,
    Reject,
    Split,
    Transition,
)
from core.records import CaseFilter

router = APIRouter(prefix="/v1", tags=["cases"])


@router.get("/cases", responses=UNPROCESSABLE)
def list_cases(client: Reader, cases: CasesDep,
               status: Annotated[list[str] | None, Query(description="One or more statuses.")] = None,
               category: str | None = None, department: str | None = None, priority: str | None = None,
               overdue: bool = False, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               offset: Offset = 0) -> list[CaseSummaryPublic]:
    """Cases, urgent first, then by deadline. `overdue=true`: open cases past their resolve-by time."""
    where = CaseFilter(status=status, category=category, department=department, priority=priority, overdue=overdue)
    return [CaseSummaryPublic(**row.model_dump()) for row in cases.queue(where, limit, offset, client).rows]


@router.get("/review-queue")
def review_queue(client: Reader, cases: CasesDep, category: str | None = None,
                 department: str | None = None, priority: str | None = None,
                 min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
                 max_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
                 older_than_minutes: Annotated[float | None, Query(ge=0, le=MAX_MINUTES, allow_inf_nan=False)] = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[CaseSummaryPublic]:
    """What waits for a person: drafts to confirm, and disposals whose verification the machine left
    to a supervisor (status `disposed`); urgent first, then by priority and deadline."""
    where = CaseFilter(status=["received", "disposed"], category=category, department=department, priority=priority,
                       min_confidence=min_confidence, max_confidence=max_confidence,
                       older_than_minutes=older_than_minutes)
    return [CaseSummaryPublic(**row.model_dump()) for row in cases.queue(where, limit, client=client).rows]


# Characters some readers take for the end of a line (Python's str.splitlines does), escaped in the
# export so that each case stays on its one line however the file is read.
_LINE_BREAKS = str.maketrans({c: f"\\u{ord(c):04x}" for c in "\x85\u2028\u2029"})


@router.get("/export", response_class=StreamingResponse, responses={200: {"content": {"application/x-ndjson": {
    "schema": {"$ref": "#/components/schemas/CaseExportPublic"}}}, "description": "One case per line."}})
def export(client: Exporter, cases: CasesDep,
           status: Annotated[list[str] | None, Query()] = None) -> StreamingResponse:
    """Every case as JSON Lines for analysis: the case, its decision and its reports' (masked) text.
    Reporters' contacts are never exported."""
    rows = cases.export(status)

    def lines() -> Iterator[bytes]:
        for row in rows:
            line = json.dumps(row.model_dump(mode="json"), ensure_ascii=False).translate(_LINE_BREAKS)
            yield (line + "\n").encode()

    return StreamingResponse(lines(), media_type="application/x-ndjson")


@router.get("/cases/{case_id}", responses=REFUSALS)
def get_case(case_id: CaseIdPath, client: Reader, cases: CasesDep) -> CasePublic:
    """The case with its reports, the evidence and the full audit trail."""
    return cases.case(case_id, client)


@router.post("/cases/{case_id}/confirm", responses=REFUSALS)
def confirm(case_id: CaseIdPath, body: Confirm, client: Reviewer, cases: CasesDep) -> CaseSummaryPublic:
    return cases.confirm(case_id, client, body.note, dispatch=body.dispatch)


@router.post("/cases/{case_id}/edit", responses=REFUSALS)
def edit(case_id: CaseIdPath, body: Edit, client: Editor, cases: CasesDep) -> CaseEditedPublic:
    """Change any reviewable field, with a reason. Operators may edit drafts still waiting for review."""
    return cases.edit(case_id, body.changes.given(), body.reason, client)


@router.post("/cases/{case_id}/reassign", responses=REFUSALS)
def reassign(case_id: CaseIdPath, body: Reassign, client: Reviewer, cases: CasesDep) -> CaseReassignedPublic:
    return cases.reassign(case_id, body.department_id, body.reason, client)


@router.post("/cases/{case_id}/reject", responses=REFUSALS)
def reject(case_id: CaseIdPath, body: Reject, client: Reviewer, cases: CasesDep) -> CaseSummaryPublic:
    return cases.reject(case_id, body.reason, body.note, client)


@router.post("/cases/{case_id}/merge", responses=REFUSALS)
def merge(case_id: CaseIdPath, body: Merge, client: Reviewer, cases: CasesDep) -> CaseMergedPublic:
    """Mark this case a duplicate of another: its reports move there."""
    return cases.merge(case_id, body.into, body.reason, client, body.confirm_different_place)


@router.post("/cases/{case_id}/split", responses=REFUSALS)
def split(case_id: CaseIdPath, body: Split, client: Reviewer, cases: CasesDep) -> CaseSplitPublic:
    """Move some of a case's reports to a new case, understood and routed afresh, waiting for review."""
    return cases.split(case_id, body.report_ids, body.reason, client)


@router.post("/cases/{case_id}/transition", responses=REFUSALS)
def transition(case_id: CaseIdPath, body: Transition, client: LifecycleActor,
               cases: CasesDep) -> CaseTransitionedPublic:
    """Move along the lifecycle by hand: received → accepted → dispatched → handling → disposed →
    verified → replied → closed, with returned and reopened. The disposal, verification, reply and
    callback routes make these moves with their records; other moves get 409 with the allowed ones."""
    return cases.transition(case_id, body.to, client, body.note)


@router.post("/cases/bulk-confirm", responses=UNPROCESSABLE)
def bulk_confirm(body: BulkConfirm, client: Reviewer, cases: CasesDep) -> BulkResultPublic:
    return cases.bulk_confirm(body.case_ids, client, body.note)


@router.post("/cases/bulk-reassign", responses=UNPROCESSABLE)
def bulk_reassign(body: BulkReassign, client: Reviewer, cases: CasesDep) -> BulkResultPublic:
    return cases.bulk_reassign(body.case_ids, body.department_id, body.reason, client)
