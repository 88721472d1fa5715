"""POST /v1/reports: a report in (JSON, or multipart with photos), its case draft out (or the open
case it duplicates)."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.deps import ServiceDep, Submitter
from api.report_responses import ReportAcceptedPublic
from api.responses import UNPROCESSABLE, ErrorPublic
from api.schemas import ReportCreate
from core.photo_types import PhotoIn
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
    body, photos = await _read_report(request)
    report = ReportIn(**body.model_dump(), received_at=None, photos=photos)
    request_body = {**body.model_dump(mode="json"),
                    "photos": [hashlib.sha256(p.data).hexdigest() for p in photos]}
    submitted = await run_in_threadpool(service.submit, report, client, idempotency_key, request_body)
    response.status_code = submitted.status_code
    if submitted.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return ReportAcceptedPublic(**submitted.body)


async def _read_report(request: Request) -> tuple[ReportCreate, tuple[PhotoIn, ...]]:
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith("multipart/form-data"):
            fields: dict[str, Any] = {}
            photos: list[PhotoIn] = []
            async with request.form(max_files=50) as form:  # closes the spooled upload files
                for name, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        if name != "photos":
                            raise _invalid(name, "files go in the `photos` field")
                        photos.append(PhotoIn(data=await value.read(), filename=value.filename))
                    elif name == "photos":
                        raise _invalid(name, "`photos` must be files, not text")
                    elif value != "":
                        fields[name] = value
            return ReportCreate.model_validate(fields), tuple(photos)
        if content_type and not content_type.startswith("application/json"):
            raise _invalid("content-type", f"send application/json or multipart/form-data, not {content_type}")
        try:
            data = await request.json()
        except ValueError as exc:
            raise _invalid("body", f"not valid JSON ({exc})") from exc
        except RecursionError as exc:  # the parser's own limit on nesting; a report is one flat object
            raise _invalid("body", "JSON nested too deep: send one flat object of report fields") from exc
        return ReportCreate.model_validate(data), ()
    except ValidationError as exc:  # located like FastAPI's own body errors
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from exc


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": ("body", field), "msg": message, "input": None}])
