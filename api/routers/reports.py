"""POST /v1/reports: a report in, its case draft out (or the open case it duplicates)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Response

from agent.types import ReportIn
from api.deps import ServiceDep, Submitter
from api.schemas import ReportCreate

router = APIRouter(prefix="/v1", tags=["reports"])


@router.post("/reports", status_code=201, responses={
    200: {"description": "The report duplicates an open case and was merged into it."},
    201: {"description": "A new case was drafted."},
    409: {"description": "The Idempotency-Key was used before with a different body."},
    422: {"description": "The report cannot be taken; the message says why."},
})
def submit_report(body: ReportCreate, client: Submitter, service: ServiceDep, response: Response,
                  idempotency_key: Annotated[str | None, Header(max_length=200)] = None) -> dict[str, Any]:
    """Triage a report. Send an `Idempotency-Key` header to make retries safe: the same key never
    creates a second report; a retry gets the first answer (with `Idempotent-Replayed: true`)."""
    report = ReportIn(**body.model_dump(), received_at=None)
    submitted = service.submit(report, client, idempotency_key, body.model_dump(mode="json"))
    response.status_code = submitted.status_code
    if submitted.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return submitted.body
