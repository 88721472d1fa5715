"""Answers to errors. An unexpected error is logged once with a request id, answered as a JSON 500
that carries the id (so a caller's report can be matched to the log line), and counted in `/metrics`
like any other answer, because it is answered inside the metrics middleware. A request that does not
fit its schema gets FastAPI's list of errors, each said in the caller's language; every other 4xx is
`{detail, code}`, the detail in the caller's language (Accept-Language: en, else Chinese)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from core.messages import Explained, Message, lookup, message

log = logging.getLogger("gridtriage.api")


async def unexpected(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    try:
        return await call_next(request)
    except Exception:
        request_id = uuid.uuid4().hex[:16]
        log.exception("unexpected error answering %s %s (request %s)", request.method, request.url.path, request_id)
        lang = caller_language(request)
        return JSONResponse({"detail": lookup("error.internal", lang, request_id=request_id), "code": "internal",
                             "request_id": request_id}, status_code=500, headers={"X-Request-ID": request_id})


def caller_language(request: Request) -> str:
    """The API's language for this caller: English when Accept-Language starts with en, else Chinese."""
    return "en" if request.headers.get("accept-language", "").lower().startswith("en") else "zh"


def http_reason(request: Request, exc: HTTPException) -> Message:
    """Why a request was refused, as a catalogue message: the one it was raised with, or the
    framework's own refusals (an unreadable body, no such path, a method the path does not take)."""
    if isinstance(exc.detail, Message):
        return exc.detail
    if exc.status_code in (400, 404, 405) and exc.detail in _FRAMEWORK_DETAILS:
        return message(f"http.{exc.status_code}", path=request.url.path, method=request.method)
    return message("http.other", status=exc.status_code, detail=str(exc.detail))


def detail_text(exc: HTTPException, lang: str) -> str:
    return exc.detail.text(lang) if isinstance(exc.detail, Message) else str(exc.detail)


async def refused(request: Request, exc: Exception) -> JSONResponse:
    """Any HTTPException (ours carry a catalogue message; the framework's are given one) as
    `{detail, code}`, keeping its headers (a 401's WWW-Authenticate, a 429's Retry-After)."""
    assert isinstance(exc, HTTPException)
    reason = http_reason(request, exc)
    return JSONResponse({"detail": reason.text(caller_language(request)), "code": reason.code},
                        status_code=exc.status_code, headers=exc.headers)


def explained(status: int) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    """A refusal from the catalogue: its text in the caller's language beside its code."""
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Explained)
        return JSONResponse({"detail": exc.text(caller_language(request)), "code": exc.code}, status_code=status)
    return handle


_FRAMEWORK_DETAILS = {"Not Found", "Method Not Allowed", "There was an error parsing the body", "Bad Request"}


async def invalid(request: Request, exc: Exception) -> JSONResponse:
    """A request that does not fit its schema: FastAPI's list of errors, each `msg` in the caller's
    language and naming the field."""
    assert isinstance(exc, RequestValidationError)
    lang = caller_language(request)
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
