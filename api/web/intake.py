"""The intake page (operators): paste a complaint, get the draft beside it at once, edit it, then
confirm it or send it to review, or mark it the same incident as an open case."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from agent.intake import ReportRejected
from agent.store.keys import ApiClient
from api.schemas import MAX_ID, CaseIdPath
from api.service import TriageService
from api.web.access import CsrfChecked, WebUser, attempt, can, need
from api.web.i18n import language, lookup
from api.web.render import cases_of, fragment, kb_of, page, service_of
from core.photo_types import PhotoIn
from core.types import PRIORITIES, ReportIn

router = APIRouter(prefix="/ui/intake", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def intake_page(request: Request, client: WebUser) -> HTMLResponse:
    need(client, "submit")
    return page(request, "intake.html", client, nav="intake", max_photos=_max_photos(request))


@router.post("/draft", dependencies=[CsrfChecked], response_model=None)
async def draft(request: Request, client: WebUser, text: Annotated[str, Form()] = "",
                address: Annotated[str, Form()] = "", contact: Annotated[str, Form()] = "",
                photos: Annotated[list[UploadFile] | None, File()] = None) -> Response:
    need(client, "submit")
    lang = language(request)
    uploads = [p for p in photos or [] if p.filename]
    if len(uploads) > _max_photos(request):
        return _problem(lookup("intake.too_many_photos", lang, n=_max_photos(request)))
    report = ReportIn(text=text, channel="web", address=address.strip() or None, contact=contact.strip() or None,
                      photos=tuple([PhotoIn(data=await p.read(), filename=p.filename) for p in uploads]))
    try:
        body = await run_in_threadpool(draft_for_person, service_of(request), report, client)
    except ReportRejected as exc:
        return _problem(exc.text(lang))
    return HTMLResponse(_draft_html(request, client, body))


def _max_photos(request: Request) -> int:
    return service_of(request).pipeline.settings.photos.max_photos


def draft_for_person(service: TriageService, report: ReportIn, client: ApiClient) -> dict[str, Any]:
    """The draft a person is reading right now: never auto-dispatched; it waits as `received` for
    them to confirm or send to review."""
    return service.submit(report, client, None, {}, auto_dispatch=False).body


def _draft_html(request: Request, client: ApiClient, body: dict[str, Any]) -> str:
    kb = kb_of(request)
    similar = [c for c in body["similar_cases"] if c["case_id"] != body["case_id"]]
    titles = cases_of(request).titles([c["case_id"] for c in similar])
    suggested = [body["category"]["id"], *[a["id"] for a in body["alternatives"]]]
    groups = [(top.name, [(leaf.id, leaf.name) for leaf in top.children]) for top in kb.categories.values()]
    return fragment("_draft.html", request, client, case=body, similar=similar, titles=titles,
                    suggested=[(c, kb.leaves[c].name) for c in suggested if c in kb.leaves], groups=groups,
                    departments=[(d.id, d.name) for d in kb.departments.values()],
                    priorities=PRIORITIES)


@router.post("/{case_id}/finish", dependencies=[CsrfChecked])
def finish(request: Request, case_id: CaseIdPath, client: WebUser, action: Annotated[str, Form()] = "review",
           category_id: Annotated[str, Form()] = "", lead_department_id: Annotated[str, Form()] = "",
           priority: Annotated[str, Form()] = "", urgent: Annotated[bool, Form()] = False,
           title: Annotated[str, Form()] = "", summary: Annotated[str, Form()] = "",
           reason: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "") -> JSONResponse:
    """Apply the person's edits (audited, labelled feedback), then confirm (dispatch) or leave the
    case in the review queue with a note of who sent it."""
    lang = language(request)
    need(client, "review" if action == "confirm" else "submit")
    cases = cases_of(request)
    current = cases.case(case_id, client)
    if current.status != "received":
        return _problem(lookup("intake.not_waiting", lang, id=case_id, status=lookup(f"status.{current.status}",
                                                                                        lang)), 409)
    proposed: dict[str, Any] = {"category_id": category_id, "lead_department_id": lead_department_id,
                                "priority": priority, "urgent": urgent, "title": title.strip(),
                                "summary": summary.strip()}
    changes = {f: v for f, v in proposed.items() if v not in ("", None) and v != getattr(current, f)}
    why = reason.strip() or lookup("intake.default_reason", "zh")
    edits = dict(changes)
    if "lead_department_id" in edits and can(client, "review"):  # a reassignment also rewrites the departments
        department_id = edits.pop("lead_department_id")
        _, error = attempt(lambda: cases.reassign(case_id, department_id, why, client), lang)
        if error:
            return _problem(error)
    if edits:
        need(client, "edit")
        _, error = attempt(lambda: cases.edit(case_id, edits, why, client), lang)
        if error:
            return _problem(error)
    if action == "confirm":
        _, error = attempt(lambda: cases.confirm(case_id, client, note), lang)
        if error:
            return _problem(error, 409)
        message = lookup("intake.confirmed", lang, id=case_id)
    else:
        cases.send_to_review(case_id, client, note, sorted(changes))
        message = lookup("intake.sent", lang, id=case_id)
    status = cases.summary(case_id).status
    return JSONResponse({"ok": True, "message": message, "case_id": case_id, "status": status,
                         "changed": sorted(changes), "case_url": f"/ui/cases/{case_id}"})


@router.post("/{case_id}/merge", dependencies=[CsrfChecked])
def same_incident(request: Request, case_id: CaseIdPath, client: WebUser,
                  into: Annotated[int, Form(ge=1, le=MAX_ID)]) -> JSONResponse:
    """'This is the same incident': the new case's report joins the open case it repeats."""
    need(client, "review")
    cases = cases_of(request)
    reason = lookup("intake.same_incident_reason", "zh")
    result, error = attempt(lambda: cases.merge(case_id, into, reason, client), language(request))
    if error or result is None:
        return _problem(error or "", 409)
    message = lookup("intake.merged", language(request), id=case_id, into=into, n=result.reporter_count)
    return JSONResponse({"ok": True, "message": message, "case_id": into, "case_url": f"/ui/cases/{into}"})


def _problem(message: str, status_code: int = 422) -> JSONResponse:
    return JSONResponse({"ok": False, "detail": message}, status_code=status_code)
