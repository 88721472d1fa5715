"""POST /v1/reports: a report in (JSON, or multipart with photos), its case draft out (or the open
case it duplicates)."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from starlette.concurrency import run_in_threadpool

from api.deps import ServiceDep, Submitter
from api.photo_bodies import read_with_photos
from api.report_responses import ReportAcceptedPublic
from api.responses import UNPROCESSABLE, ErrorPublic
from api.schemas import ReportCreate
from core.types import ReportIn

router = APIRouter(prefix="/v1", tags=["reports"])

_MULTIPART_SCHEMA = {
    "type": "object",
    "properties": {
        **{name: {"type": "string"} for name in ReportCreate.model_fields},
        "photos": {"type": "array", "items": {"type": "string", "format": "binary"},
                   "description": "Up to 6 photos: JPEG, PNG or WebP, 10 MB and 40 megapixels each."},
    },
}


@router.post("/reports", status_code=201, responses={
    200: {"model": ReportAcceptedPublic, "description": "The report duplicates an open case and was merged into it."},
    201: {"description": "A new case was drafted."},
    409: {"model": ErrorPublic, "description": "The Idempotency-Key was used before with a different body."},
    **UNPROCESSABLE,
}, openapi_extra={"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/ReportCreate"}},
    "multipart/form-data": {"schema": _MULTIPART_SCHEMA},
}}})
async def submit_report(request: Request, client: Submitter, service: ServiceDep, response: Response,
                        idempotency_key: Annotated[str | None, Header(max_length=200)] = None) -> ReportAcceptedPublic:
    """Triage a report, sent as JSON (`ReportCreate`) or as `multipart/form-data` with the same fields
    plus up to six `photos`. Text read from the photos joins the report's text; a photo-only report
    that nothing can read goes to review. Send an `Idempotency-Key` header to make retries safe: the
    same key never creates a second report; a retry gets the first answer (with
    `Idempotent-Replayed: true`)."""
    body, photos = await read_with_photos(request, ReportCreate, max_files=50)
    report = ReportIn(**body.model_dump(), received_at=None, photos=photos)
    request_body = {**body.model_dump(mode="json"),
                    "photos": [hashlib.sha256(p.data).hexdigest() for p in photos]}
    submitted = await run_in_threadpool(service.submit, report, client, idempotency_key, request_body)
    response.status_code = submitted.status_code
    if submitted.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return ReportAcceptedPublic(**submitted.body)
