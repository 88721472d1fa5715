"""Drafters turn the pipeline's facts into a case file. The template drafter needs no model; the
LLM drafter (agent/llm_drafting.py) implements the same `Drafter.draft` and falls back to this one."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Any

from core.settings import LLMSettings
from core.types import CaseDraft, DraftFacts, DraftOutcome
from knowledge.loader import KnowledgeBase

_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
_REQUEST = re.compile(r"(希望|请求|要求|恳请|请|麻烦|尽快|赶紧|能不能|能否|建议)")
_FILLER = re.compile(
    r"^(喂[，,]?|你好[，,]?|您好[，,]?|那个[，,]?|就是[，,]?|我跟你说啊?[，,]?|嗯[，,]?|啊[，,]?"
    r"|我(要|想)(反映|反应|投诉|问)(一下|个事|个问题)?[，,]?)+"
)


class Drafter(ABC):
    name: str = "drafter"

    def warm_up(self) -> None:  # noqa: B027 - optional hook: only model-backed drafters load anything
        """Load models; nothing for drafters that need none."""

    def prime(self) -> float:
        """Prepare for the first draft after warm_up (a local model evaluates its prompt's fixed head);
        returns the seconds spent, 0 for drafters with nothing to prepare."""
        return 0.0

    @abstractmethod
    def draft(self, facts: DraftFacts) -> DraftOutcome: ...


class TemplateDrafter(Drafter):
    """Fills every field from the facts with fixed Chinese templates, in the 12345 house style."""

    name = "template"

    def __init__(self, summary_chars: int = 160) -> None:
        self.summary_chars = summary_chars

    def draft(self, facts: DraftFacts) -> DraftOutcome:
        u = facts.understanding
        place = place_text(facts)
        category = u.classification.category
        sentences = [_FILLER.sub("", s).strip() for s in _SENTENCE.findall(facts.intake.text)]
        sentences = [s for s in sentences if s]
        body = "".join(sentences) or facts.intake.text
        if len(body) > self.summary_chars:
            body = body[: self.summary_chars].rstrip("，,、") + "……"
        requests = [s for s in sentences if _REQUEST.search(s)]
        lead = facts.routing.lead
        lead_clauses = "、".join(c.id for c in lead.clauses)
        assists = [d.name for d in facts.routing.departments if d.role == "assist"]
        steps = [f"{lead.name}接单后{_minutes(facts)}内联系诉求人并核实现场情况"]
        if u.urgency.urgent:
            why = "、".join(dict.fromkeys([*(sig.label for sig in u.urgency.signals), *u.urgency.evidence]))
            why = why or category.name
            steps.insert(0, f"紧急（{why}）：立即电话通知{lead.name}值班人员到场处置")
            if u.urgency.emergency:
                calls = "、".join(f"{c.name}（{c.number}）" for c in u.urgency.emergency.call)
                steps.insert(0, f"立即转接{calls}，并按应急话术指导来电人")
        steps.append(f"依据职责（{lead_clauses}）处置{category.name}问题")
        if assists:
            steps.append(f"{'、'.join(assists)}配合处置")
        steps.append("处置完毕后上传结果并回访诉求人")
        named = [n for n in (*(r.name for r in u.place.roads), u.place.landmark.name if u.place.landmark else "")
                 if n and n in body]
        lead_in = f"：{place}，" if place != "地点待核实" and not named else "："  # the citizen's own words say where
        return DraftOutcome(draft=CaseDraft(
            title=title_of(facts),
            summary=f"市民反映{lead_in}{body}",
            place=place,
            request="；".join(requests)[:200] or f"请相关部门核实并处置{category.name}问题",
            suggested_steps=tuple(steps),
            category_id=category.id,
            lead_department_id=lead.id,
            assisting_department_ids=tuple(dict.fromkeys(d.id for d in facts.routing.departments
                                                         if d.role == "assist")),
            cited_clause_ids=tuple(c.id for d in facts.routing.departments for c in d.clauses),
            priority=u.urgency.priority,
            rationale=f"按分类“{category.name}”及职责条款{lead_clauses}，由{lead.name}主办"
                      + ("（联合办理）" if facts.routing.joint else ""),
            drafter=self.name,
        ))


def place_parts(facts: DraftFacts) -> list[str]:
    """The place as the gazetteer resolved it, from the largest unit to the smallest: district,
    street, the crossing, landmark or road, then the named estate or house number. A district or
    street whose name the more specific place already says is not said twice."""
    p = facts.understanding.place
    spot = []
    if p.crossing:
        roads = {r.id: r.name for r in p.roads}
        spot.append("与".join(roads.get(r, r) for r in p.crossing) + "交叉口")
    elif p.landmark:
        spot.append(p.landmark.name)
    elif p.roads:
        spot.append(p.roads[0].name)
    if p.detail and not any(p.detail in part or part in p.detail for part in spot):
        spot.append(p.detail)
    parts = [p.district.name] if p.district and not any(p.district.name in part for part in spot) else []
    if p.street and not any(_stem(p.street.name) in part for part in spot):
        parts.append(p.street.name)
    return parts + spot


def _stem(street: str) -> str:
    return street.removesuffix("街道").removesuffix("办事处").removesuffix("镇").removesuffix("乡") or street


def place_text(facts: DraftFacts) -> str:
    return "".join(place_parts(facts)) or (facts.intake.address or "地点待核实")


def title_of(facts: DraftFacts, limit: int = 30) -> str:
    """【紧急】, the place and the problem in at most `limit` characters. The title names the district
    and the most specific place (crossing, landmark, road, estate), or the street when nothing more
    specific is known; the district goes first when there is no room."""
    u, p = facts.understanding, facts.understanding.place
    mark = "【紧急】" if u.urgency.urgent else ""
    parts = place_parts(facts)
    if p.street and len(parts) > 2 and parts[1] == p.street.name:
        parts.pop(1)
    while parts and len(mark + "".join(parts) + u.classification.category.name) > limit:
        parts.pop(0)
    return (mark + "".join(parts) + u.classification.category.name)[:limit]


def _minutes(facts: DraftFacts) -> str:
    delta = facts.deadlines.respond_by - facts.intake.received_at
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes}分钟" if minutes < 120 else f"{minutes // 60}小时"


def make_drafter(settings: LLMSettings, kb: KnowledgeBase) -> Drafter:
    """The drafter the settings ask for: the template drafter for `none`, else an LLM drafter
    (whose chat-model libraries load only then)."""
    if settings.provider == "none":
        return TemplateDrafter()
    from agent.llm_drafting import LLMDrafter

    return LLMDrafter(settings, kb)


def outcome_events(outcome: DraftOutcome) -> list[tuple[str, str, dict[str, Any]]]:
    """The audit events of a draft: every model call, and why the template took over if it did."""
    events = [("draft", "llm.call", call.model_dump(mode="json")) for call in outcome.calls]
    if outcome.fallback_reason:
        events.append(("draft", "draft.fallback", {"reason": outcome.fallback_reason,
                                                   "drafter": outcome.draft.drafter}))
    return events
