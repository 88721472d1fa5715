"""Answers to errors. An unexpected error is logged once with a request id, answered as a JSON 500
that carries the id (so a caller's report can be matched to the log line), and counted in `/metrics`
like any other answer, because it is answered inside the metrics middleware. A request that does not
fit its schema gets FastAPI's list of errors, each said in the caller's language."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from core.messages import lookup

log = logging.getLogger("gridtriage.api")


async def unexpected(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    try:
        return await call_next(request)
    except Exception:
        request_id = uuid.uuid4().hex[:16]
        log.exception("unexpected error answering %s %s (request %s)", request.method, request.url.path, request_id)
        lang = "en" if request.headers.get("accept-language", "").lower().startswith("en") else "zh"
        return JSONResponse({"detail": lookup("error.internal", lang, request_id=request_id), "code": "internal",
                             "request_id": request_id}, status_code=500, headers={"X-Request-ID": request_id})


async def invalid(request: Request, exc: Exception) -> JSONResponse:
    """A request that does not fit its schema: FastAPI's list of errors, each `msg` in the caller's
    language and naming the field."""
    assert isinstance(exc, RequestValidationError)
    lang = "en" if request.headers.get("accept-language", "").lower().startswith("en") else "zh"
    errors = jsonable_encoder(exc.errors())
    if lang != "en":
        for error in errors:
            error["msg"] = _in_chinese(error)
    return JSONResponse({"detail": errors}, status_code=422)


def _in_chinese(error: dict[str, Any]) -> str:
    loc = [str(part) for part in error.get("loc", ())]
    field = ".".join(loc[1:]) or (loc[0] if loc else "?")
    context = error.get("ctx") or {}
    try:
        reason = lookup(f"invalid.{error.get('type')}", "zh", default="", **context)
    except (KeyError, IndexError, ValueError):
        reason = ""
    return lookup("invalid.field", "zh", field=field, reason=reason or lookup("invalid.other", "zh"),
                  original=error.get("msg", ""))
