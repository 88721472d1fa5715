"""The web pages for operators and supervisors, served under /ui by the same app as the API.
Nothing heavy is imported with the package: the pages' modules load when an app installs them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from core.settings import Settings

# No inline script or style, nothing from other hosts, no framing: an injected tag has nothing to run.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def install_web(app: FastAPI, settings: Settings) -> None:
    from collections.abc import Awaitable, Callable
    from urllib.parse import quote

    from fastapi import Request, Response
    from fastapi.responses import JSONResponse, RedirectResponse
    from fastapi.staticfiles import StaticFiles

    from api.web import casepage, dashboard, intake, login, review
    from api.web.access import LoginRequired, Refused, wants_json
    from api.web.csrf import CsrfRefused
    from api.web.i18n import language, lookup
    from api.web.render import STATIC, page
    from api.web.session import load_session, save_session
    from api.web.state import WebState

    app.state.web = WebState(settings.web)

    @app.middleware("http")
    async def web_session(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if not request.url.path.startswith("/ui"):
            return await call_next(request)
        response = await call_next(request)
        save_session(request, response)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

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

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(Refused, refused)
    app.add_exception_handler(CsrfRefused, csrf_refused)
    for router in (login.router, intake.router, review.router, casepage.router, dashboard.router):
        app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="web-static")
