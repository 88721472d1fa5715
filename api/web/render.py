"""Server-rendered pages: one Jinja2 environment (autoescaped, strict about undefined names) and the
context every page shares: the user, their abilities, the language, the CSRF token, flash messages."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from agent.store.keys import ApiClient
from api.cases_service import CaseService
from api.service import TriageService
from api.web.access import can
from api.web.i18n import Translate, language, lookup, translator
from api.web.session import load_session
from core import clock
from knowledge.loader import KnowledgeBase

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")


@cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(pct=lambda x: f"{float(x) * 100:.0f}%", width=bar_width)
    return env


def bar_width(value: float) -> str:
    """A CSS class for a bar's width in 5 % steps (the pages allow no inline styles)."""
    return f"w{max(0, min(100, round(float(value) * 20) * 5))}"


def service_of(request: Request) -> TriageService:
    service: TriageService = request.app.state.service
    return service


def cases_of(request: Request) -> CaseService:
    cases: CaseService = request.app.state.cases
    return cases


def kb_of(request: Request) -> KnowledgeBase:
    return service_of(request).pipeline.models.kb


class CityTimes:
    """Times on the pages are the city's wall-clock times."""

    def __init__(self, zone: str, t: Translate) -> None:
        self.zone, self.t = ZoneInfo(zone), t

    def label(self) -> str:
        """Which clock the page's times are on: the zone and its current offset from UTC."""
        offset = clock.now().astimezone(self.zone).strftime("%z")
        return self.t("time.zone", offset=f"UTC{offset[:3]}:{offset[3:]}")

    def zone_name(self) -> str:
        return str(self.zone)

    def parse(self, value: datetime | str | None) -> datetime | None:
        """A stored time (aware) or an ISO 8601 text with its offset, as the JSON answers write them."""
        if value is None or value == "":
            return None
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)

    def when(self, value: datetime | str | None, with_date: bool = True) -> str:
        moment = self.parse(value)
        if moment is None:
            return "—"
        return moment.astimezone(self.zone).strftime("%m-%d %H:%M" if with_date else "%H:%M")

    def past(self, value: datetime | str | None) -> bool:
        """The deadline has passed (a case without one is never late)."""
        moment = self.parse(value)
        return moment is not None and moment < clock.now()

    def until(self, value: datetime | str | None) -> str:
        """'in 3 h' or '2 h overdue', in the page's language."""
        moment = self.parse(value)
        if moment is None:
            return ""
        minutes = (moment - clock.now()).total_seconds() / 60
        amount = abs(minutes)
        text = (self.t("time.minutes", n=round(amount)) if amount < 90 else
                self.t("time.hours", n=round(amount / 60)) if amount < 48 * 60 else
                self.t("time.days", n=round(amount / 1440)))
        return self.t("time.left", span=text) if minutes >= 0 else self.t("time.overdue", span=text)


def sayer(lang: str) -> Any:
    """Renders a decision's message ({code, values} as stored, or a Message) in the page's language;
    text stored before messages had codes is shown as it is."""
    def say(value: Any) -> str:
        if isinstance(value, dict) and "code" in value:
            return lookup(str(value["code"]), lang, **dict(value.get("values") or {}))
        return "" if value is None else str(value)

    return say


def drafter_namer(t: Translate) -> Any:
    """"template" → 模板起草; "llamacpp:<model>" → 本地模型（<model>）; the API's own codes stay in the JSON."""
    def name(drafter: str | None) -> str:
        if not drafter or drafter == "template":
            return t("drafter.template")
        provider, _, model = drafter.partition(":")
        return t(f"drafter.{provider}", default=drafter, model=model)

    return name


def actor_name(actor: str, t: Translate) -> str:
    """"gridtriage" → 系统; "gridtriage:auto-dispatch" → 系统自动派单; "supervisor:li" → 值班长 li;
    "verifier" → 智能核查."""
    role, _, name = actor.partition(":")
    if role == "gridtriage":
        return t(f"actor.{name or 'system'}", default=t("actor.system"))
    if role == "verifier" and not name:
        return t("actor.verifier")
    return f"{t('role.' + role, default=role)} {name}".strip()


def page(request: Request, template: str, client: ApiClient | None, status_code: int = 200,
         **context: Any) -> HTMLResponse:
    session = load_session(request)
    lang = language(request)
    t = translator(lang)
    kb = kb_of(request)
    service = service_of(request)
    departments = {d.id: d.name for d in kb.departments.values()}
    html = environment().get_template(template).render(
        request=request, user=client, lang=lang, t=t, csrf_token=session.csrf, flash=session.pop_flash(),
        can=lambda ability: client is not None and can(client, ability), clock=CityTimes(kb.meta.timezone, t),
        say=sayer(lang), drafter_name=drafter_namer(t), mode_name=lambda m: _mode(kb, m)["name"],
        department_name=lambda d: departments.get(d, d), mode=_mode(kb, service.pipeline.mode),
        actor_name=lambda actor: actor_name(str(actor), t),
        kb_name=kb.meta.city, path=request.url.path, query=str(request.url.query), **context)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


def fragment(template: str, request: Request, client: ApiClient, **context: Any) -> str:
    """A piece of a page the page's script puts in place (the intake draft)."""
    lang = language(request)
    t = translator(lang)
    kb = kb_of(request)
    departments = {d.id: d.name for d in kb.departments.values()}
    return environment().get_template(template).render(
        request=request, user=client, lang=lang, t=t, csrf_token=load_session(request).csrf,
        can=lambda ability: can(client, ability), clock=CityTimes(kb.meta.timezone, t), say=sayer(lang),
        drafter_name=drafter_namer(t), department_name=lambda d: departments.get(d, d), **context)


def _mode(kb: KnowledgeBase, mode_id: str) -> dict[str, Any]:
    mode = next((m for m in kb.policy.modes if m.id == mode_id), None)
    return {"id": mode_id, "name": mode.name if mode else mode_id,
            "threshold": mode.auto_dispatch_threshold if mode else None}
