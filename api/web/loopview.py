"""What the pages show of closing the loop: a disposal with its verification in the reader's
language, why a case came back to its department, and the cases waiting for a person's verification
decision. The rules stay in the closing service; this only reads."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from agent.lifecycle import WITH_DEPARTMENT
from agent.store.keys import ApiClient
from api.closing_service import ClosingService
from api.web.render import cases_of
from core.messages import lookup
from core.records import CaseFilter, CaseRecord, CaseSummary, DisposalRecord
from core.roles import BOUND_TO_DEPARTMENT

OUTCOMES = ("resolved", "partly", "explained", "not_our_remit")
# a department's open work, in the order the handlers' page lists its statuses
DEPARTMENT_STATUSES = tuple(s for s in ("returned", "reopened", "dispatched", "handling") if s in WITH_DEPARTMENT)
LIMIT = 200


def closing_of(request: Request) -> ClosingService:
    closing: ClosingService = request.app.state.closing
    return closing


def is_department(client: ApiClient | None) -> bool:
    return client is not None and client.role == BOUND_TO_DEPARTMENT


def reason_text(reason: Any, lang: str) -> str:
    """A stored verification reason ({code, text, values}) in the reader's language; the stored text
    when the catalogue cannot fill it."""
    if not isinstance(reason, dict):
        return str(reason)
    try:
        return lookup(str(reason.get("code")), lang, default=str(reason.get("text") or reason.get("code")),
                      **dict(reason.get("values") or {}))
    except (KeyError, IndexError, ValueError):
        return str(reason.get("text") or reason.get("code"))


def disposal_view(disposal: DisposalRecord, lang: str) -> dict[str, Any]:
    """A disposal as the templates show it: the machine's verdict and reasons, a person's decision."""
    checked = disposal.verification or {}
    return {**disposal.model_dump(), "final": disposal.final_verdict,
            "reasons": [reason_text(r, lang) for r in checked.get("reasons") or []],
            "relevance": checked.get("relevance"), "substance": checked.get("substance")}


def why_back(case: CaseRecord, lang: str) -> dict[str, Any] | None:
    """Why a case is with its department again: the last verification's reasons (and the supervisor's
    note when a person sent it back), or the unsatisfied citizen's note."""
    if case.status == "returned" and case.disposals:
        last = disposal_view(case.disposals[-1], lang)
        return {"kind": "returned", "reasons": last["reasons"], "note": last["decision_note"] or ""}
    if case.status == "reopened":
        unhappy = [c for c in case.callbacks if c.satisfaction == "unsatisfied"]
        if unhappy:
            return {"kind": "reopened", "reasons": [], "note": unhappy[-1].note}
    return None


def department_cases(request: Request, client: ApiClient) -> list[tuple[CaseSummary, CaseRecord]]:
    """The cases with the client's department, each with its record (the queue is scoped to them)."""
    cases = cases_of(request)
    rows = cases.queue(CaseFilter(status=list(DEPARTMENT_STATUSES)), limit=LIMIT, client=client).rows
    return [(row, cases.case_record(row.id, client)) for row in rows]


def waiting_for_verification(request: Request, client: ApiClient, lang: str) -> list[dict[str, Any]]:
    """Cases whose verification the machine left to a person, with their latest disposal."""
    cases = cases_of(request)
    rows = cases.queue(CaseFilter(status=["disposed"]), limit=LIMIT, client=client).rows
    waiting = []
    for row in rows:
        record = cases.case_record(row.id, client)
        if record.disposals:
            waiting.append({"case": row, "record": record, "disposal": disposal_view(record.disposals[-1], lang)})
    return waiting
