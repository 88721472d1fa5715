"""The handlers' page (部门办件) for department users: their department's open cases with the step's
deadline, how often each came back and why, and a disposal form per case (reply, outcome, dated
commitments, after-photos) whose verification verdict and reasons the page shows at once."""

from __future__ import annotations

from datetime import date
from itertools import zip_longest
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from agent.store.keys import ApiClient
from api.schemas import MAX_DISPOSAL_PHOTOS, CaseIdPath, CommitmentIn, DisposalCreate
from api.web.access import CsrfChecked, WebUser, attempt, need
from api.web.i18n import language, lookup
from api.web.loopview import OUTCOMES, closing_of, department_cases, disposal_view, why_back
from api.web.render import cases_of, page
from api.web.session import load_session
from core.photo_types import PhotoIn

router = APIRouter(prefix="/ui/department", include_in_schema=False)
COMMITMENT_ROWS = 3
MAX_REPLY = 5000


@router.get("", response_class=HTMLResponse)
def handlers_page(request: Request, client: WebUser, result: int = 0) -> HTMLResponse:
    need(client, "dispose")
    return _render(request, client, result=result)


def _render(request: Request, client: ApiClient, result: int = 0, failed: dict[str, Any] | None = None,
            status_code: int = 200) -> HTMLResponse:
    lang = language(request)
    rows = department_cases(request, client)
    shown = None
    if result:
        record, _ = attempt(lambda: cases_of(request).case_record(result, client), lang)
        if record is not None and record.disposals:
            shown = {"case": record, "disposal": disposal_view(record.disposals[-1], lang)}
    return page(request, "department.html", client, status_code=status_code, nav="department", rows=rows,
                back={row.id: why_back(record, lang) for row, record in rows}, outcomes=OUTCOMES, result=shown,
                failed=failed or {}, commitment_rows=COMMITMENT_ROWS, max_photos=MAX_DISPOSAL_PHOTOS,
                department=client.department_id or "")


@router.post("/{case_id}/dispose", dependencies=[CsrfChecked], response_model=None)
async def dispose(request: Request, case_id: CaseIdPath, client: WebUser, reply: Annotated[str, Form()] = "",
                  outcome: Annotated[str, Form()] = "",
                  commitment_text: Annotated[list[str] | None, Form()] = None,
                  commitment_due: Annotated[list[str] | None, Form()] = None,
                  photos: Annotated[list[UploadFile] | None, File()] = None) -> Response:
    """One case's disposal from its form; a refusal re-shows the page with what was typed."""
    need(client, "dispose")
    lang = language(request)
    commitments = list(zip_longest(commitment_text or [], commitment_due or [], fillvalue=""))
    typed = {"reply": reply, "outcome": outcome, "commitments": commitments}
    uploads = [p for p in photos or [] if p.filename]
    body, error = _disposal(reply, outcome, commitments, len(uploads), lang)
    if body is not None:
        files = tuple([PhotoIn(data=await p.read(), filename=p.filename) for p in uploads])
        closing = closing_of(request)
        answered, error = await run_in_threadpool(
            attempt, lambda: closing.dispose(case_id, client, body, files), lang)
        if answered is not None:
            verdict = lookup(f"verdict.{answered.verification.verdict}", lang)
            load_session(request).add_flash("ok", lookup("web.disposed", lang, id=case_id, verdict=verdict))
            return RedirectResponse(f"/ui/department?result={case_id}#disposal-result", status_code=303)
    if uploads:
        error = f"{error} {lookup('web.photos_again', lang)}"
    return _render(request, client, failed={"case_id": case_id, "error": error or "", **typed}, status_code=422)


def _disposal(reply: str, outcome: str, commitments: list[tuple[str, str]], photos: int,
              lang: str) -> tuple[DisposalCreate | None, str | None]:
    """The form's fields as the service's input, or what is wrong with them in the reader's words."""
    if not reply.strip():
        return None, lookup("web.dispose_need_reply", lang)
    if len(reply.strip()) > MAX_REPLY:
        return None, lookup("web.dispose_reply_too_long", lang, limit=MAX_REPLY, n=len(reply.strip()))
    if outcome not in OUTCOMES:
        return None, lookup("web.dispose_need_outcome", lang)
    if photos > MAX_DISPOSAL_PHOTOS:
        return None, lookup("disposal.too_many_photos", lang, n=photos, limit=MAX_DISPOSAL_PHOTOS)
    given = []
    for n, (text, due) in enumerate(commitments, start=1):
        if not text.strip() and not due.strip():
            continue
        if not text.strip():
            return None, lookup("web.commitment_no_text", lang, n=n)
        try:
            day = date.fromisoformat(due.strip()) if due.strip() else None
        except ValueError:
            return None, lookup("web.commitment_bad_date", lang, n=n, value=due)
        given.append(CommitmentIn(text=text.strip()[:500], due=day))
    try:
        return DisposalCreate(reply=reply.strip(), outcome=outcome, commitments=given), None
    except ValidationError as exc:
        fields = "、".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        return None, lookup("web.dispose_invalid", lang, fields=fields)
