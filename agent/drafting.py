"""Drafters turn the pipeline's facts into a case file. The template drafter needs no model; the
LLM drafter (agent/llm_drafting.py) implements the same `Drafter.draft` and falls back to this one."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod

from agent.types import CaseDraft, DraftFacts, DraftOutcome

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
            why = "、".join(dict.fromkeys(sig.label for sig in u.urgency.signals)) or "该类问题默认紧急"
            steps.insert(0, f"紧急（{why}）：立即电话通知{lead.name}值班人员到场处置")
        steps.append(f"依据职责（{lead_clauses}）处置{category.name}问题")
        if assists:
            steps.append(f"{'、'.join(assists)}配合处置")
        steps.append("处置完毕后上传结果并回访诉求人")
        title_place = place if place != "地点待核实" else ""
        urgent_mark = "【紧急】" if u.urgency.urgent else ""
        named = [n for n in (*(r.name for r in u.place.roads), u.place.landmark.name if u.place.landmark else "")
                 if n and n in body]
        lead_in = f"：{place}，" if title_place and not named else "："  # the citizen's own words say where
        return DraftOutcome(draft=CaseDraft(
            title=f"{urgent_mark}{title_place}{category.name}"[:60],
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


def place_text(facts: DraftFacts) -> str:
    p = facts.understanding.place
    parts = []
    if p.district:
        parts.append(p.district.name)
    if p.street:
        parts.append(p.street.name)
    if p.crossing:
        roads = {r.id: r.name for r in p.roads}
        parts.append("与".join(roads.get(r, r) for r in p.crossing) + "交叉口")
    elif p.landmark:
        parts.append(p.landmark.name)
    elif p.roads:
        parts.append(p.roads[0].name)
    if p.detail and p.detail not in "".join(parts):
        parts.append(p.detail)
    return "".join(parts) or (facts.intake.address or "地点待核实")


def _minutes(facts: DraftFacts) -> str:
    delta = facts.deadlines.respond_by - facts.intake.received_at
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes}分钟" if minutes < 120 else f"{minutes // 60}小时"
