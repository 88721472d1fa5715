"""Closing the loop after dispatch: a department's disposal (处置) with its verification (智能核查),
a supervisor's decision on a verification left to a person, the reply to the citizen (智能生成) and
the callback (回访). The rules live in the closing service, which the pages call too."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from agent.store.keys import ApiClient
from api.auth import requires
from api.closing_service import ClosingService
from api.deps import CasesDep
from api.photo_bodies import read_with_photos
from api.responses import REFUSALS, CaseSummaryPublic, DisposalAnsweredPublic, ReplyDraftPublic, ReplySentPublic
from api.schemas import MAX_DISPOSAL_PHOTOS, CallbackCreate, CaseIdPath, DisposalCreate, ReplySend, VerificationDecision

router = APIRouter(prefix="/v1", tags=["closing the loop"])


def _closing(request: Request) -> ClosingService:
    closing: ClosingService = request.app.state.closing
    return closing


ClosingDep = Annotated[ClosingService, Depends(_closing)]
Disposer = Annotated[ApiClient, Depends(requires("dispose"))]
Verifier = Annotated[ApiClient, Depends(requires("verify"))]
Replier = Annotated[ApiClient, Depends(requires("reply"))]
CallbackTaker = Annotated[ApiClient, Depends(requires("callback"))]

_MULTIPART_SCHEMA = {
    "type": "object", "required": ["reply", "outcome"],
    "properties": {
        "reply": {"type": "string"}, "outcome": {"type": "string", "enum": ["resolved", "partly", "explained",
                                                                          "not_our_remit"]},
        "commitments": {"type": "string", "description": "A JSON list of {text, due} objects."},
        "photos": {"type": "array", "maxItems": MAX_DISPOSAL_PHOTOS, "items": {"type": "string", "format": "binary"},
                   "description": "Up to 6 after-photos: JPEG, PNG or WebP, 10 MB and 40 megapixels each."},
    },
}


@router.post("/cases/{case_id}/disposal", responses=REFUSALS, openapi_extra={"requestBody": {
    "required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DisposalCreate"}},
                                  "multipart/form-data": {"schema": _MULTIPART_SCHEMA}}}})
async def dispose(case_id: CaseIdPath, request: Request, client: Disposer,
                  closing: ClosingDep) -> DisposalAnsweredPublic:
    """A department reports what it did: its reply, the `outcome`, commitments with dates, and up to
    six after-photos (multipart). Verification runs at once and its verdict moves the case: `pass` →
    verified (on to the reply), `fail` → returned to the department with the reasons, `needs_person`
    → a supervisor decides in the review queue; `not_our_remit` sends the case back to review."""
    body, photos = await read_with_photos(request, DisposalCreate, max_files=MAX_DISPOSAL_PHOTOS + 1)
    return await run_in_threadpool(closing.dispose, case_id, client, body, photos)


@router.post("/cases/{case_id}/verification", responses=REFUSALS)
def decide(case_id: CaseIdPath, body: VerificationDecision, client: Verifier, closing: ClosingDep,
           cases: CasesDep) -> CaseSummaryPublic:
    """A supervisor decides a verification the machine left to a person: `pass` → verified, `fail` →
    back to the department (say why in `note`)."""
    closing.decide(case_id, client, body.verdict, body.note)
    return cases.summary(case_id)


@router.post("/cases/{case_id}/reply-draft", responses=REFUSALS)
def reply_draft(case_id: CaseIdPath, client: Replier, closing: ClosingDep) -> ReplyDraftPublic:
    """A reply to the citizen drafted from the report and the latest disposal only, for a person to
    edit; nothing is sent (POST …/reply sends). `unsupported` lists any figure or name in the draft
    that the disposal does not contain."""
    return closing.reply_draft(case_id, client)


@router.post("/cases/{case_id}/reply", responses=REFUSALS)
def send_reply(case_id: CaseIdPath, body: ReplySend, client: Replier, closing: ClosingDep) -> ReplySentPublic:
    """Send the reply to the citizen (after verification passed): the case waits for the callback."""
    return closing.send_reply(case_id, client, body)


@router.post("/cases/{case_id}/callback", responses=REFUSALS)
def callback(case_id: CaseIdPath, body: CallbackCreate, client: CallbackTaker, closing: ClosingDep,
             cases: CasesDep) -> CaseSummaryPublic:
    """回访: satisfied or basically satisfied closes the case; unsatisfied reopens it to the same
    department (the case counts its reopenings)."""
    closing.callback(case_id, client, body.satisfaction, body.note)
    return cases.summary(case_id)
