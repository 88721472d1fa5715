"""The review queue (supervisors): drafts waiting for a person, urgent first and then by deadline,
with filters, confidence bars, overdue rows marked, and bulk confirm / bulk reassign with a reason;
above it, the disposals whose verification the machine left to a person, each with its pass / send
back form. A department user sees only its own department's cases here."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from agent.lifecycle import OPEN, STATUSES
from agent.store.keys import ApiClient
from api.schemas import CaseIdPath
from api.web.access import CsrfChecked, WebUser, attempt, need
from api.web.i18n import language, lookup
from api.web.loopview import closing_of, waiting_for_verification
from api.web.render import cases_of, kb_of, page
from api.web.session import load_session
from core.records import CaseFilter
from core.types import PRIORITIES

router = APIRouter(prefix="/ui/review", include_in_schema=False)
LIMIT = 300
CONFIDENCE_CEILINGS = ("0.5", "0.7", "0.9")


@router.get("", response_class=HTMLResponse)
def queue(request: Request, client: WebUser, status: str = "received", category: str = "", department: str = "",
          priority: str = "", overdue: bool = False, below: str = "") -> HTMLResponse:
    need(client, "read")
    return _render(request, client, status, category, department, priority, overdue, below)


def _render(request: Request, client: ApiClient, status: str = "received", category: str = "",
            department: str = "", priority: str = "", overdue: bool = False, below: str = "",
            decide_failed: dict[str, object] | None = None, status_code: int = 200) -> HTMLResponse:
    statuses = sorted(OPEN) if status == "open" else None if status == "all" else [status]
    if statuses and any(s not in STATUSES for s in statuses):
        statuses = ["received"]
    ceiling = float(below) if below in CONFIDENCE_CEILINGS else None
    queue_page = cases_of(request).queue(CaseFilter(status=statuses, category=category or None,
                                                    department=department or None, priority=priority or None,
                                                    overdue=overdue, max_confidence=ceiling), limit=LIMIT,
                                         client=client)
    kb = kb_of(request)
    filters = {"status": status, "category": category, "department": department, "priority": priority,
               "overdue": overdue, "below": below}
    return page(request, "review.html", client, status_code=status_code, nav="review", queue=queue_page,
                filters=filters, verifying=waiting_for_verification(request, client, language(request)),
                decide_failed=decide_failed or {},
                statuses=STATUSES, ceilings=CONFIDENCE_CEILINGS, priorities=PRIORITIES,
                categories=[(c.id, c.name) for c in kb.categories.values()],
                departments=[(d.id, d.name) for d in kb.departments.values()],
                back=urlencode({k: v for k, v in filters.items() if v}))


@router.post("/bulk", dependencies=[CsrfChecked])
def bulk(request: Request, client: WebUser, action: Annotated[str, Form()],
         case_ids: Annotated[list[int] | None, Form()] = None, department_id: Annotated[str, Form()] = "",
         reason: Annotated[str, Form()] = "", back: Annotated[str, Form()] = "") -> RedirectResponse:
    need(client, "review")
    lang = language(request)
    session = load_session(request)
    target = "/ui/review" + (f"?{back}" if back and not back.startswith(("/", "\\")) else "")
    chosen = list(dict.fromkeys(case_ids or []))
    if not chosen:
        session.add_flash("error", lookup("review.none_chosen", lang))
        return RedirectResponse(target, status_code=303)
    cases = cases_of(request)
    if action == "reassign":
        if not reason.strip() or not department_id:
            session.add_flash("error", lookup("review.reassign_needs", lang))
            return RedirectResponse(target, status_code=303)
        outcome, error = attempt(lambda: cases.bulk_reassign(chosen, department_id, reason.strip(), client), lang)
    else:
        outcome, error = attempt(lambda: cases.bulk_confirm(chosen, client, reason.strip()), lang)
    if error or outcome is None:
        session.add_flash("error", error or "")
        return RedirectResponse(target, status_code=303)
    verb = lookup(f"review.did_{'reassign' if action == 'reassign' else 'confirm'}", lang)
    session.add_flash("ok", lookup("review.bulk_done", lang, verb=verb, n=len(outcome.done),
                                   ids=", ".join(f"#{i}" for i in outcome.done) or "—"))
    for case_id, why in outcome.failed.items():
        session.add_flash("error", f"#{case_id}: {why}")
    return RedirectResponse(target, status_code=303)


@router.post("/{case_id}/verify", dependencies=[CsrfChecked], response_model=None)
def decide(request: Request, case_id: CaseIdPath, client: WebUser, verdict: Annotated[str, Form()] = "",
           note: Annotated[str, Form()] = "") -> Response:
    """A supervisor's decision on a verification left to a person: pass, or back to the department
    with a reason. A refusal re-shows the queue with the note kept."""
    need(client, "verify")
    lang = language(request)
    if verdict not in ("pass", "fail"):
        error: str | None = lookup("web.verify_choose", lang)
    elif verdict == "fail" and not note.strip():
        error = lookup("verify.decision_reason_needed", lang)
    else:
        _, error = attempt(lambda: closing_of(request).decide(case_id, client, verdict, note), lang)
    if error:
        return _render(request, client, decide_failed={"case_id": case_id, "error": error, "note": note,
                                                       "verdict": verdict}, status_code=422)
    load_session(request).add_flash("ok", lookup(f"web.verify_done_{verdict}", lang, id=case_id))
    return RedirectResponse("/ui/review", status_code=303)
