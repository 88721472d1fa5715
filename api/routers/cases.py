"""Cases: the list and the review queue, one case with its reports and audit trail, the review
actions (confirm, edit, reassign, reject, merge, bulk) and lifecycle transitions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from agent.lifecycle import STATUSES
from api.deps import Editor, Exporter, LifecycleActor, Reader, Reviewer, ServiceDep, WorkflowDep
from api.schemas import (
    BulkConfirm,
    BulkReassign,
    BulkResult,
    Confirm,
    Edit,
    Merge,
    Reassign,
    Reject,
    Split,
    Transition,
)
from core.messages import Forbidden, Refusal, message
from core.roles import ABILITIES
from core.types import PRIORITIES

router = APIRouter(prefix="/v1", tags=["cases"])


@router.get("/cases")
def list_cases(client: Reader, workflow: WorkflowDep,
               status: Annotated[list[str] | None, Query(description="One or more statuses.")] = None,
               category: str | None = None, department: str | None = None, priority: str | None = None,
               overdue: bool = False, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               offset: Annotated[int, Query(ge=0)] = 0) -> list[dict[str, Any]]:
    """Cases, urgent first, then by deadline. `overdue=true`: open cases past their resolve-by time."""
    for s in status or []:
        if s not in STATUSES:
            raise Refusal(message("transition.unknown_status", target=s,
                                  statuses=[message(f"status.{x}") for x in STATUSES]))
    return workflow.cases(status=status, category=category, department=department, priority=priority,
                          overdue=overdue, limit=limit, offset=offset)


@router.get("/review-queue")
def review_queue(client: Reader, workflow: WorkflowDep, category: str | None = None,
                 department: str | None = None, priority: str | None = None,
                 min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
                 max_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
                 older_than_minutes: Annotated[float | None, Query(ge=0)] = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    """Drafts waiting for a person: urgent first, then by priority and deadline."""
    return workflow.cases(status=["received"], category=category, department=department, priority=priority,
                          min_confidence=min_confidence, max_confidence=max_confidence,
                          older_than_minutes=older_than_minutes, limit=limit)


@router.get("/export", response_class=StreamingResponse)
def export(client: Exporter, service: ServiceDep, workflow: WorkflowDep,
           status: Annotated[list[str] | None, Query()] = None) -> StreamingResponse:
    """Every case as JSON Lines for analysis: the case, its decision and its reports' (masked) text.
    Reporters' contacts are never exported."""
    summaries = workflow.cases(status=status, limit=10_000_000)

    def lines() -> Iterator[bytes]:
        for summary in summaries:
            case = service.case(summary["id"], client, personal_data=False)
            row = {**summary, "summary": case["summary"], "draft": case["draft"], "departments": case["departments"],
                   "reports": [{"id": r["id"], "text": r["text"], "channel": r["channel"],
                                "received_at": str(r["received_at"])} for r in case["reports"]]}
            yield (json.dumps(row, ensure_ascii=False, default=str) + "\n").encode()

    return StreamingResponse(lines(), media_type="application/x-ndjson")


@router.get("/cases/{case_id}")
def get_case(case_id: int, client: Reader, service: ServiceDep) -> dict[str, Any]:
    """The case with its reports, the evidence and the full audit trail."""
    return service.case(case_id, client, personal_data="personal_data" in ABILITIES[client.role])


@router.post("/cases/{case_id}/confirm")
def confirm(case_id: int, body: Confirm, client: Reviewer, workflow: WorkflowDep) -> dict[str, Any]:
    workflow.confirm(case_id, client.actor, body.note, dispatch=body.dispatch)
    return _short(workflow, case_id)


@router.post("/cases/{case_id}/edit")
def edit(case_id: int, body: Edit, client: Editor, service: ServiceDep, workflow: WorkflowDep) -> dict[str, Any]:
    """Change any reviewable field, with a reason. Operators may edit drafts still waiting for review."""
    if client.role == "operator":
        case = service.case(case_id, client, personal_data=False)
        if case["status"] != "received":
            raise Forbidden(message("edit.operator_drafts_only", id=case_id,
                                    status=message(f"status.{case['status']}")))
    kb = service.pipeline.models.kb
    if "lead_department_id" in body.changes and body.changes["lead_department_id"] not in kb.departments:
        raise Refusal(message("edit.unknown_department", id=body.changes["lead_department_id"]))
    if "category_id" in body.changes and body.changes["category_id"] not in kb.leaves:
        raise Refusal(message("edit.unknown_category", id=body.changes["category_id"]))
    if "priority" in body.changes and body.changes["priority"] not in PRIORITIES:
        raise Refusal(message("edit.unknown_priority", value=body.changes["priority"]))
    before = workflow.edit(case_id, body.changes, body.reason, client.actor)
    return {**_short(workflow, case_id), "before": before}


@router.post("/cases/{case_id}/reassign")
def reassign(case_id: int, body: Reassign, client: Reviewer, service: ServiceDep,
             workflow: WorkflowDep) -> dict[str, Any]:
    department = _department(service, body.department_id)
    before = workflow.reassign(case_id, department[0], department[1], body.reason, client.actor)
    return {**_short(workflow, case_id), "before": before}


@router.post("/cases/{case_id}/reject")
def reject(case_id: int, body: Reject, client: Reviewer, service: ServiceDep,
           workflow: WorkflowDep) -> dict[str, Any]:
    workflow.reject(case_id, body.reason, body.note, client.actor)
    return service.forget_if_closed(_short(workflow, case_id))


@router.post("/cases/{case_id}/merge")
def merge(case_id: int, body: Merge, client: Reviewer, service: ServiceDep,
          workflow: WorkflowDep) -> dict[str, Any]:
    """Mark this case a duplicate of another: its reports move there."""
    reporters = workflow.merge(case_id, body.into, body.reason, client.actor, body.confirm_different_place)
    return {**service.forget_if_closed(_short(workflow, case_id)), "into": body.into, "reporter_count": reporters}


@router.post("/cases/{case_id}/split")
def split(case_id: int, body: Split, client: Reviewer, service: ServiceDep, workflow: WorkflowDep) -> dict[str, Any]:
    """Move some of a case's reports to a new case, understood and routed afresh, waiting for review."""
    new_id = service.split(case_id, body.report_ids, body.reason, client.actor)
    return {"case": _short(workflow, case_id), "new_case": _short(workflow, new_id)}


@router.post("/cases/{case_id}/transition")
def transition(case_id: int, body: Transition, client: LifecycleActor, service: ServiceDep,
               workflow: WorkflowDep) -> dict[str, Any]:
    """Move along the lifecycle: received → accepted → dispatched → handling → resolved → verified →
    closed (closed → handling reopens). Other moves get 409 with the allowed ones."""
    before = workflow.transition(case_id, body.to, client.actor, body.note)
    return {**service.forget_if_closed(_short(workflow, case_id)), "before": before}


@router.post("/cases/bulk-confirm")
def bulk_confirm(body: BulkConfirm, client: Reviewer, workflow: WorkflowDep) -> BulkResult:
    return _bulk(body.case_ids, lambda case_id: workflow.confirm(case_id, client.actor, body.note))


@router.post("/cases/bulk-reassign")
def bulk_reassign(body: BulkReassign, client: Reviewer, service: ServiceDep, workflow: WorkflowDep) -> BulkResult:
    dept_id, name = _department(service, body.department_id)
    return _bulk(body.case_ids, lambda case_id: workflow.reassign(case_id, dept_id, name, body.reason, client.actor))


def _bulk(case_ids: list[int], action: Any) -> BulkResult:
    done, failed = [], {}
    for case_id in dict.fromkeys(case_ids):
        try:
            action(case_id)
            done.append(case_id)
        except (ValueError, LookupError) as exc:
            failed[case_id] = str(exc)
    return BulkResult(done=done, failed=failed)


def _department(service: ServiceDep, department_id: str) -> tuple[str, str]:
    kb = service.pipeline.models.kb
    department = kb.departments.get(department_id)
    if department is None:
        raise Refusal(message("edit.unknown_department", id=department_id))
    return department.id, department.name


def _short(workflow: WorkflowDep, case_id: int) -> dict[str, Any]:
    return workflow.case_summary(case_id)
