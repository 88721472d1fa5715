"""One case: the reports merged into it (with photos), the evidence behind each decision, the
drafter's rationale, the disposals with their verification, the replies and callbacks, the lifecycle
timeline, the full audit trail, and the actions the role allows. A department user finds only its
own department's cases; another's is "not found"."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from agent.lifecycle import ALLOWED, WITH_DEPARTMENT
from agent.store.keys import ApiClient
from agent.store.loop import SATISFACTIONS
from api.cases_service import CaseService
from api.schemas import MAX_ID, CaseIdPath
from api.web.access import CsrfChecked, WebUser, attempt, can, need
from api.web.i18n import Translate, language, lookup, translator
from api.web.loopview import disposal_view
from api.web.render import cases_of, kb_of, page
from api.web.session import load_session
from core.messages import Refusal, message
from core.records import AuditEntry
from core.types import PRIORITIES

router = APIRouter(prefix="/ui/cases", include_in_schema=False)
TIMELINE = ("case.created", "case.transition", "case.confirmed", "case.edited", "case.reassigned", "case.rejected",
            "case.merged", "case.merged_into", "case.absorbed", "case.redrafted", "case.sent_to_review",
            "case.split", "case.split_from", "case.disposed", "case.verification_decided", "case.replied",
            "case.callback", "case.not_our_remit")
EVIDENCE = ("report.understood", "report.routed", "report.dedup", "report.drafted")
REJECT_REASONS = ("not_our_remit", "spam", "insufficient_info")
ACTIONS = {"confirm": "review", "reject": "review", "reassign": "review", "merge": "review", "edit": "edit",
           "transition": "lifecycle"}


@router.get("/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: CaseIdPath, client: WebUser) -> HTMLResponse:
    need(client, "read")
    return render_case(request, case_id, client)


def render_case(request: Request, case_id: int, client: ApiClient, status_code: int = 200,
                reply_form: dict[str, Any] | None = None, callback_form: dict[str, Any] | None = None) -> HTMLResponse:
    """The case page; `reply_form` and `callback_form` carry what a person typed (and what was wrong
    with it, or the reply drafted for them) back into those forms."""
    case = cases_of(request).case(case_id, client)
    lang = language(request)
    t = translator(lang)
    audit = case.audit
    evidence = {r.id: {e: _latest(audit, e, r.id) for e in EVIDENCE} for r in case.reports}
    kb = kb_of(request)
    names = {**{leaf.id: leaf.name for leaf in kb.leaves.values()}, **{d.id: d.name for d in kb.departments.values()}}
    return page(request, "case.html", client, status_code=status_code,
                nav="department" if can(client, "dispose") else "review", case=case, evidence=evidence,
                disposals=[disposal_view(d, lang) for d in case.disposals], satisfactions=SATISFACTIONS,
                with_department=case.status in WITH_DEPARTMENT,
                reply_form=reply_form or {}, callback_form=callback_form or {},
                timeline=[a for a in audit if a.event in TIMELINE],
                trail=[{**a.model_dump(), "summary": describe(a, t, names),
                        "json": json.dumps(a.payload, ensure_ascii=False, indent=1, default=str)} for a in audit],
                llm_calls=[a.payload for a in audit if a.event == "llm.call"],
                transitions=_transitions(client, case.status), reject_reasons=REJECT_REASONS,
                departments=[(d.id, d.name) for d in kb.departments.values()],
                groups=[(top.name, [(leaf.id, leaf.name) for leaf in top.children]) for top in kb.categories.values()],
                priorities=PRIORITIES)


def _latest(audit: list[AuditEntry], event: str, report_id: int) -> dict[str, Any] | None:
    found = [a.payload for a in audit if a.event == event and a.report_id == report_id]
    return found[-1] if found else None


def _transitions(client: ApiClient, status: str) -> list[str]:
    if not can(client, "lifecycle"):
        return []
    moves = ALLOWED.get(status, frozenset()) - {"merged"}  # merging needs the other case: the merge form
    if can(client, "review") and status == "received":
        moves -= {"rejected", "dispatched"}  # the review forms do these, with a reason and labelled feedback
    # disposed, verified, replied, returned and reopened come from the disposal, verification, reply
    # and callback forms, which record what happened; a plain move would skip that record
    order = ("received", "accepted", "dispatched", "handling", "closed", "rejected")
    return [s for s in order if s in moves]


def describe(entry: AuditEntry, t: Translate, names: dict[str, str]) -> str:
    """One line saying what an audit event changed; `names` turns category and department ids into
    the knowledge base's names."""
    p = entry.payload or {}
    event = entry.event
    if event in ("case.edited", "case.confirmed") and "field" in p:
        return f"{p['field']}: {p.get('before')} → {p.get('after')}；{p.get('reason', '')}"
    if event in _DESCRIBE:
        return _DESCRIBE[event](p, t, names)
    for key in ("title", "reason", "status", "text"):
        if p.get(key):
            return str(p[key])[:120]
    return ""


Describe = Callable[[dict[str, Any], Translate, dict[str, str]], str]


def _transition(p: dict[str, Any], t: Translate, names: dict[str, str]) -> str:
    return f"{t('status.' + str(p.get('from')))} → {t('status.' + str(p.get('to')))}" + (
        f"（{p['note']}）" if p.get("note") else "")


def _confirmed(p: dict[str, Any], t: Translate, names: dict[str, str]) -> str:
    return (f"{names.get(str(p.get('category_id')), p.get('category_id'))} / "
            f"{names.get(str(p.get('lead_department_id')), p.get('lead_department_id'))} / "
            f"{t('priority.' + str(p.get('priority')), default=str(p.get('priority')))}"
            + (f"；{p['note']}" if p.get("note") else ""))


def _reassigned(p: dict[str, Any], t: Translate, names: dict[str, str]) -> str:
    return (f"{names.get(str(p.get('before')), p.get('before'))} → {names.get(str(p.get('after')), p.get('after'))}"
            f"；{p.get('reason', '')}")


def _merged(p: dict[str, Any], t: Translate, names: dict[str, str]) -> str:
    other = p.get("into") or p.get("from")
    return (f"#{other} " if other else "") + (str(p.get("reason") or p.get("reporter_count") or ""))


def _rejected(p: dict[str, Any], t: Translate, names: dict[str, str]) -> str:
    return f"{p.get('reason')} {p.get('note') or ''}".strip()


def _mode_switched(p: dict[str, Any], t: Translate, names: dict[str, str]) -> str:
    return f"{p.get('before')} → {p.get('after')}；{p.get('reason', '')}"


def _llm_call(p: dict[str, Any], t: Translate, names: dict[str, str]) -> str:
    return f"{p.get('provider')}:{p.get('model')} #{p.get('attempt')} {p.get('latency_ms', 0):.0f} ms" + (
        f" ✗ {p['error']}" if p.get("error") else "")


def _sent_to_review(p: dict[str, Any], t: Translate, names: dict[str, str]) -> str:
    return "；".join(x for x in (p.get("note"), "、".join(p.get("changed") or [])) if x)


def _understood(p: dict[str, Any], t: Translate, names: dict[str, str]) -> str:
    c, u = p.get("classification") or {}, p.get("urgency") or {}
    return (f"{(c.get('category') or {}).get('name')} {c.get('confidence', 0):.0%} · "
            f"{t('priority.' + str(u.get('priority')), default=str(u.get('priority')))}")


def _dedup(p: dict[str, Any], t: Translate, names: dict[str, str]) -> str:
    found = p.get("candidates") or []
    return f"#{p['duplicate_of']}" if p.get("duplicate_of") else t("audit.no_duplicate", n=len(found))


def _disposed(p: dict[str, Any], t: Translate, names: dict[str, str]) -> str:
    return f"{t('outcome.' + str(p.get('outcome')), default=str(p.get('outcome')))}：{str(p.get('reply') or '')[:100]}"


def _verdict(p: dict[str, Any], t: Translate, names: dict[str, str]) -> str:
    return f"{t('verdict.' + str(p.get('verdict')), default=str(p.get('verdict')))}" + (
        f"（{p['note']}）" if p.get("note") else "")


def _callback(p: dict[str, Any], t: Translate, names: dict[str, str]) -> str:
    return f"{t('satisfaction.' + str(p.get('satisfaction')), default=str(p.get('satisfaction')))}" + (
        f"：{p['note']}" if p.get("note") else "")


_DESCRIBE: dict[str, Describe] = {
    "case.disposed": _disposed,
    "case.verification": _verdict,
    "case.verification_decided": _verdict,
    "case.callback": _callback,
    "case.transition": _transition,
    "case.confirmed": _confirmed,
    "case.reassigned": _reassigned,
    "case.merged_into": _merged,
    "case.absorbed": _merged,
    "case.merged": _merged,
    "case.rejected": _rejected,
    "city.mode_switched": _mode_switched,
    "llm.call": _llm_call,
    "case.sent_to_review": _sent_to_review,
    "report.understood": _understood,
    "report.dedup": _dedup,
}


@router.post("/{case_id}/act", dependencies=[CsrfChecked])
def act(request: Request, case_id: CaseIdPath, client: WebUser, action: Annotated[str, Form()],
        to: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
        department_id: Annotated[str, Form()] = "", into: Annotated[int, Form(ge=0, le=MAX_ID)] = 0,
        confirm_place: Annotated[bool, Form()] = False,
        title: Annotated[str, Form()] = "", summary: Annotated[str, Form()] = "",
        category_id: Annotated[str, Form()] = "", priority: Annotated[str, Form()] = "") -> RedirectResponse:
    """Every button of the case page; the same case service (and rules) as the JSON API."""
    if action not in ACTIONS:
        action = "transition"
    need(client, ACTIONS[action])
    cases = cases_of(request)
    lang = language(request)
    calls: dict[str, Callable[[], object]] = {
        "confirm": lambda: cases.confirm(case_id, client, note),
        "reject": lambda: cases.reject(case_id, reason if reason in REJECT_REASONS else "spam", note, client),
        "reassign": lambda: cases.reassign(case_id, department_id, reason, client),
        "merge": lambda: cases.merge(case_id, into, reason or "duplicate", client, confirm_place),
        "transition": lambda: cases.transition(case_id, to, client, note),
        "edit": lambda: _edit(case_id, client, cases, reason, {"title": title.strip(), "summary": summary.strip(),
                                                               "category_id": category_id, "priority": priority}),
    }
    _, error = attempt(calls[action], lang)
    session = load_session(request)
    if error:
        session.add_flash("error", error)
    else:
        session.add_flash("ok", lookup(f"case.done_{action}", lang, id=case_id))
    return RedirectResponse(f"/ui/cases/{case_id}", status_code=303)


def _edit(case_id: int, client: ApiClient, cases: CaseService, reason: str, proposed: dict[str, Any]) -> object:
    current = cases.case(case_id, client)
    changes = {f: v for f, v in proposed.items() if v and v != getattr(current, f)}
    if not changes:
        raise Refusal(message("review.nothing_changed"))
    why = reason or lookup("case.edited_here", "zh")
    return cases.edit(case_id, changes, why, client)
