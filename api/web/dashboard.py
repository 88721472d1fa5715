"""The dashboard: today's and this week's figures, the live situation panels (api/web/situation.py),
hot issues, and the city's mode with the switch for supervisors (others see it and are told who may
switch it). The figures are city-wide, so a department user is told to use its own page instead."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.web.access import CsrfChecked, WebUser, attempt, need
from api.web.i18n import language, lookup
from api.web.loopview import is_department
from api.web.render import cases_of, kb_of, page, service_of
from api.web.session import load_session
from api.web.situation import panels_context

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, client: WebUser) -> HTMLResponse:
    need(client, "read")
    if is_department(client):
        lang = language(request)
        return page(request, "problem.html", client, status_code=403, message=lookup("web.department_only", lang),
                    title=lookup("web.department_only_title", lang), detail="", nav="")
    kb = kb_of(request)
    figures = cases_of(request).figures()
    return page(request, "dashboard.html", client, nav="dashboard", figures=figures,
                modes=[(m.id, m.name, m.auto_dispatch_threshold, m.description) for m in kb.policy.modes],
                **panels_context(request, client))


@router.post("/mode", dependencies=[CsrfChecked])
def switch_mode(request: Request, client: WebUser, mode: Annotated[str, Form()],
                reason: Annotated[str, Form()] = "") -> RedirectResponse:
    need(client, "mode")
    session = load_session(request)
    lang = language(request)
    if not reason.strip():
        session.add_flash("error", lookup("mode.needs_reason", lang))
        return RedirectResponse("/ui/dashboard", status_code=303)
    done, error = attempt(lambda: service_of(request).set_mode(mode, client.actor, reason.strip()), lang)
    if error or done is None:
        session.add_flash("error", error or "")
    else:
        session.add_flash("ok", lookup("mode.switched", lang, name=done.name))
    return RedirectResponse("/ui/dashboard", status_code=303)
