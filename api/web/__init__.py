"""The web pages for operators, supervisors and departments, served under /ui by the same app as the API.
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

    from fastapi import Request, Response
    from fastapi.staticfiles import StaticFiles

    from api.web import casepage, dashboard, department, intake, login, photos, replies, review, situation
    from api.web.problems import install_problem_pages
    from api.web.render import STATIC
    from api.web.session import save_session
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

    install_problem_pages(app)
    for router in (login.router, intake.router, review.router, casepage.router, replies.router, dashboard.router,
                   department.router, photos.router, situation.router):
        app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="web-static")
