"""How the pages answer a refusal: a page for a person (a login redirect, a "not allowed" page, a
"cannot show this page" page), JSON for the pages' own scripts. Paths outside /ui keep the API's
JSON answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException

from api import errors
from api.web.access import LoginRequired, Refused, wants_json
from api.web.csrf import CsrfRefused
from api.web.i18n import language, lookup
from api.web.render import page
from api.web.session import load_session
from core.messages import Explained, Forbidden, Message, NotFound, Refusal


def install_problem_pages(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, problem)
    app.add_exception_handler(RequestValidationError, problem)
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(Refused, refused)
    app.add_exception_handler(CsrfRefused, csrf_refused)
    for kind, status in ((NotFound, 404), (Forbidden, 403), (Refusal, 422)):
        app.add_exception_handler(kind, explained_page(status))


def explained_page(status: int) -> Callable[[Request, Exception], Awaitable[Response]]:
    """A refusal from the catalogue (no such case, or another department's case, which is the same
    thing to a department) as a page in the reader's language; the API's JSON everywhere else."""
    api_answer = errors.explained(status)

    async def handle(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith("/ui") or wants_json(request) or not isinstance(exc, Explained):
            return await api_answer(request, exc)
        lang = language(request)
        title = lookup("notfound.title" if status == 404 else "web.problem_title", lang)
        return page(request, "problem.html", load_session(request).client, status_code=status,
                    message=exc.text(lang), title=title, detail="", nav="")

    return handle


async def login_required(request: Request, exc: Exception) -> Response:
    if wants_json(request):
        return JSONResponse({"ok": False, "detail": lookup("login.required", language(request))}, status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/ui/login?next={quote(target)}", status_code=303)


async def refused(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, Refused):
        raise exc
    lang = language(request)
    roles = "、".join(lookup(f"role.{r}", lang) for r in exc.allowed)
    message = lookup("refused.message", lang, role=lookup(f"role.{exc.role}", lang),
                     action=lookup(f"ability.{exc.ability}", lang), roles=roles)
    if wants_json(request):
        return JSONResponse({"ok": False, "detail": message, "allowed_roles": exc.allowed}, status_code=403)
    return page(request, "problem.html", load_session(request).client, status_code=403, message=message,
                detail=str(exc), nav="")


async def csrf_refused(request: Request, exc: Exception) -> Response:
    message = lookup("csrf.refused", language(request))
    if wants_json(request):
        return JSONResponse({"ok": False, "detail": message}, status_code=403)
    return page(request, "problem.html", load_session(request).client, status_code=403, message=message,
                detail=str(exc), nav="")


async def problem(request: Request, exc: Exception) -> Response:
    """A page's refusal (no such page, a malformed case number, too many requests) as a page for a
    person; the API's JSON for the pages' own scripts and for every other path."""
    if not request.url.path.startswith("/ui") or wants_json(request):
        if isinstance(exc, HTTPException):
            return await errors.refused(request, exc)
        return await errors.invalid(request, exc)
    lang = language(request)
    status = exc.status_code if isinstance(exc, HTTPException) else 422
    if isinstance(exc, HTTPException) and isinstance(exc.detail, Message):
        message = exc.detail.text(lang)  # ours: too many requests, say
    else:
        message = lookup("web.bad_address", lang)  # the framework's: no such page, a malformed number
    answer = page(request, "problem.html", load_session(request).client, status_code=status, message=message,
                  title=lookup("web.problem_title", lang), detail="", nav="")
    answer.headers.update(getattr(exc, "headers", None) or {})
    return answer
