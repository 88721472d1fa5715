"""The case page's reply to the citizen (智能生成: drafted from the disposal, edited by a person, sent)
and the callback (回访). The page's script asks for the draft as JSON and fills the textarea; without
the script the same button shows the case page with the draft in it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from agent.store.loop import SATISFACTIONS
from api.schemas import CaseIdPath, ReplySend
from api.web.access import CsrfChecked, WebUser, attempt, need, wants_json
from api.web.casepage import render_case
from api.web.i18n import language, lookup
from api.web.loopview import closing_of
from api.web.render import cases_of, kb_of
from api.web.session import load_session

router = APIRouter(prefix="/ui/cases", include_in_schema=False)
SOURCES = ("template", "llm", "person")
MAX_REPLY = 5000


@router.post("/{case_id}/reply-draft", dependencies=[CsrfChecked], response_model=None)
async def reply_draft(request: Request, case_id: CaseIdPath, client: WebUser) -> Response:
    need(client, "reply")
    lang = language(request)
    closing = closing_of(request)
    drafted, error = await run_in_threadpool(attempt, lambda: closing.reply_draft(case_id, client), lang)
    unsupported = lookup("list.separator", lang).join(drafted.unsupported) if drafted is not None else ""
    drafted_note = lookup("web.reply_drafted", lang) + (
        lookup("web.reply_model_pending", lang) if drafted is not None and drafted.pending else "")
    if wants_json(request):
        if drafted is None:
            return JSONResponse({"ok": False, "detail": error or ""}, status_code=422)
        return JSONResponse({"ok": True, "text": drafted.text, "source": drafted.source,
                             "unsupported": drafted.unsupported, "message": drafted_note,
                             "unsupported_text": lookup("web.reply_unsupported", lang, items=unsupported)
                             if drafted.unsupported else ""})
    if drafted is None:
        return render_case(request, case_id, client, status_code=422, reply_form={"error": error or ""})
    return render_case(request, case_id, client, reply_form={
        "text": drafted.text, "drafted": drafted.text, "source": drafted.source,
        "unsupported": unsupported, "message": drafted_note})


@router.post("/{case_id}/reply", dependencies=[CsrfChecked], response_model=None)
def send_reply(request: Request, case_id: CaseIdPath, client: WebUser, text: Annotated[str, Form()] = "",
               drafted: Annotated[str, Form()] = "", source: Annotated[str, Form()] = "person") -> Response:
    need(client, "reply")
    lang = language(request)
    kept = {"text": text, "drafted": drafted, "source": source if source in SOURCES else "person"}
    if not text.strip():
        error: str | None = lookup("reply.empty", lang)
    elif len(text.strip()) > MAX_REPLY:
        error = lookup("web.dispose_reply_too_long", lang, limit=MAX_REPLY, n=len(text.strip()))
    else:
        body = ReplySend(text=text.strip(), drafted=drafted[:MAX_REPLY] or None,
                         source=kept["source"])
        _, error = attempt(lambda: closing_of(request).send_reply(case_id, client, body), lang)
    if error:
        return render_case(request, case_id, client, status_code=422, reply_form={**kept, "error": error})
    load_session(request).add_flash("ok", lookup("web.reply_sent", lang, id=case_id))
    return RedirectResponse(f"/ui/cases/{case_id}", status_code=303)


@router.post("/{case_id}/callback", dependencies=[CsrfChecked], response_model=None)
def callback(request: Request, case_id: CaseIdPath, client: WebUser, satisfaction: Annotated[str, Form()] = "",
             note: Annotated[str, Form()] = "") -> Response:
    need(client, "callback")
    lang = language(request)
    if satisfaction not in SATISFACTIONS:
        error: str | None = lookup("web.callback_choose", lang)
    elif satisfaction == "unsatisfied" and not note.strip():
        error = lookup("callback.note_needed", lang)
    else:
        _, error = attempt(lambda: closing_of(request).callback(case_id, client, satisfaction, note), lang)
    if error:
        return render_case(request, case_id, client, status_code=422,
                           callback_form={"satisfaction": satisfaction, "note": note, "error": error})
    summary = cases_of(request).summary(case_id)
    departments = {d.id: d.name for d in kb_of(request).departments.values()}
    done = (lookup("web.callback_reopened", lang, id=case_id,
                   department=departments.get(summary.lead_department_id, summary.lead_department_id))
            if summary.status == "reopened" else
            lookup("web.callback_closed", lang, id=case_id, satisfaction=lookup(f"satisfaction.{satisfaction}", lang)))
    load_session(request).add_flash("ok", done)
    return RedirectResponse(f"/ui/cases/{case_id}", status_code=303)
