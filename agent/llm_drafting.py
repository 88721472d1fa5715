"""The LLM drafter: writes the case file from the pipeline's facts with a chat model, inside guardrails.

- The model sees candidates under short codes (C1 categories, D1 departments) and may answer only
  with those codes; anything else is rejected, logged, and asked again once.
- The prompt and the output stay short (every token costs tens of milliseconds on a CPU): each
  department comes with the first words of its best-matching duty, the model does not choose
  clauses, and the draft cites the clauses the router matched for the departments it chose.
- The report is masked again before the prompt is built (plates too, unless the category needs
  them) and sits inside <诉求> tags as data.
- The place is the gazetteer's, never the model's: a wrong address sends a crew to the wrong street.
- Any failure (the provider errs or times out, or the output is invalid twice) ends in the template
  draft, with the reason; every call is returned for the audit log.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from agent.drafting import Drafter, TemplateDrafter, place_text
from agent.llm import LLMProvider
from agent.llm.chat_user import ChatModelUser, Checked
from core.masking import mask, mask_plates
from core.settings import LLMSettings
from core.types import CaseDraft, CategoryRef, DraftFacts, DraftOutcome, LLMCall, Priority
from knowledge.loader import KnowledgeBase
from prompts.loader import PromptSpec, load_prompt

Step = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=16)]


class DraftProposal(BaseModel):
    """What the model writes: prose plus choices by code. Mapped to a CaseDraft once checked. The
    limits sit a little above the prompt's: the local model's grammar ends a field at its limit, so
    the prompt asks for less and a field is rarely cut short."""

    model_config = ConfigDict(extra="forbid")

    category: str  # the choices first, right after the model has read the candidates
    lead: str
    assist: list[str] = Field(max_length=2)
    priority: Priority
    title: str = Field(min_length=4, max_length=20)
    summary: str = Field(min_length=8, max_length=50)
    request: str = Field(min_length=2, max_length=20)
    steps: list[Step] = Field(min_length=1, max_length=2)
    rationale: str = Field(min_length=4, max_length=30)


@dataclass(frozen=True)
class Candidates:
    categories: dict[str, CategoryRef]
    departments: dict[str, tuple[str, str]]  # code → (department id, name)
    clauses: dict[str, tuple[str, ...]]  # department code → the ids of its matched duty clauses
    duties: dict[str, str]  # department code → the text of its best-matching duty clause

    def schema(self) -> dict[str, Any]:
        """DraftProposal's JSON schema with every choice narrowed to the codes given."""
        schema = DraftProposal.model_json_schema()
        props = schema["properties"]
        props["category"]["enum"] = list(self.categories)
        props["lead"]["enum"] = list(self.departments)
        props["assist"]["items"] = {"type": "string", "enum": list(self.departments)}
        schema["required"] = list(props)
        return schema


def gather_candidates(facts: DraftFacts, department_names: dict[str, str], max_categories: int = 3,
                      max_departments: int = 3) -> Candidates:
    """The chosen category and its alternatives; the routed departments, then the next-ranked
    ones, each with the duty clauses the router matched for it."""
    c = facts.understanding.classification
    categories: dict[str, CategoryRef] = {}
    for category in [c.category, *(a.category for a in c.alternatives)]:
        if category.id not in {r.id for r in categories.values()} and len(categories) < max_categories:
            categories[f"C{len(categories) + 1}"] = category
    departments: dict[str, tuple[str, str]] = {}
    clauses: dict[str, tuple[str, ...]] = {}
    duties: dict[str, str] = {}
    seen: set[str] = set()
    routed = [(d.id, d.name, d.clauses) for d in facts.routing.departments]
    ranked = [(r.id, department_names.get(r.id, r.id), r.clauses) for r in facts.routing.ranking]
    for dept_id, name, refs in routed + ranked:
        if dept_id in seen or len(departments) >= max_departments:
            continue
        seen.add(dept_id)
        code = f"D{len(departments) + 1}"
        departments[code] = (dept_id, name)
        clauses[code] = tuple(ref.id for ref in refs)
        duties[code] = refs[0].text if refs else ""
    return Candidates(categories=categories, departments=departments, clauses=clauses, duties=duties)


class LLMDrafter(ChatModelUser, Drafter):
    name = "llm"

    def __init__(self, settings: LLMSettings, kb: KnowledgeBase, provider: LLMProvider | None = None,
                 report_max_chars: int = 300, duty_chars: int = 20) -> None:
        self.settings, self.kb = settings, kb
        self._provider = provider
        self.prompt: PromptSpec = load_prompt(settings.prompt)
        self.fallback = TemplateDrafter()
        self.report_max_chars, self.duty_chars = report_max_chars, duty_chars
        self._department_names = _department_names(kb)
        self._names_by_id = {d.id: d.name for d in kb.departments.values()}

    def prime(self) -> float:
        """Evaluate the prompt's fixed head (system message and worked example) once, so the first
        real draft does not pay for it; only a local model keeps it. Returns the seconds spent."""
        if self.provider.name != "llamacpp":
            return 0.0
        started = time.perf_counter()
        self.provider.chat.invoke(self.prompt.render(**self.prompt.example.variables), max_tokens=1)
        return time.perf_counter() - started

    def draft(self, facts: DraftFacts) -> DraftOutcome:
        candidates = gather_candidates(facts, self._names_by_id)
        messages = self.prompt.render(**self.variables(facts, candidates))

        def checked(raw: str) -> Checked[DraftProposal]:
            data, proposal, problems, rejected = self.check(raw, candidates)
            return Checked(proposal, problems, {"parsed": data, "rejected": rejected})

        asked = self.ask_checked(messages, candidates.schema(), checked, _correction)
        if asked.value is None:
            return self._fall_back(facts, asked.calls, asked.failure or "")
        return DraftOutcome(draft=self._case_draft(asked.value, candidates, facts, self.provider),
                            calls=tuple(asked.calls))

    def variables(self, facts: DraftFacts, candidates: Candidates) -> dict[str, str]:
        u, intake = facts.understanding, facts.intake
        report = f"{intake.title}：{intake.text}" if intake.title else intake.text
        if len(report) > self.report_max_chars:
            report = report[: self.report_max_chars] + "……（后略）"
        if not self._needs_plate(u.classification.category.id):
            report = mask_plates(report)
        report = mask(report)[0].replace("</诉求>", "")  # the tag cannot be closed from inside
        signals = "、".join(f"{s.label}（{s.matched}）" for s in u.urgency.signals)
        return {
            "report": report,
            "place": place_text(facts),
            "categories": "\n".join(f"{code} {c.parent_name}/{c.name}"
                                    for code, c in candidates.categories.items()),
            "departments": "\n".join(self._department_line(code, name, candidates)
                                     for code, (_, name) in candidates.departments.items()),
            "urgency": signals or "无",
            "similar": "；".join(_clip(c.title, 24) for c in facts.similar_cases[:2]) or "无",
        }

    def _department_line(self, code: str, name: str, candidates: Candidates) -> str:
        """`D1 name：the start of its best-matching duty` — enough to choose a lead by, in few tokens."""
        duty = _clip(candidates.duties.get(code, "").removeprefix("负责"), self.duty_chars)
        return f"{code} {name}：{duty}" if duty and self.duty_chars else f"{code} {name}"

    def check(self, raw: str, candidates: Candidates
              ) -> tuple[dict[str, Any] | None, DraftProposal | None, list[str], tuple[str, ...]]:
        """Parse and validate one output. Returns the parsed JSON, the proposal if it validates, the
        problems (said so the model can fix them) and which of those were guardrail rejections."""
        data, proposal, problems = _parse(raw)
        if proposal is None:
            return data, None, problems, ()
        rejected = _unknown_codes(proposal, candidates) + self._foreign_names(proposal, candidates)
        return data, proposal, rejected, tuple(rejected)

    def _foreign_names(self, proposal: DraftProposal, candidates: Candidates) -> list[str]:
        """Departments and offices the rationale or steps name that are not among the candidates."""
        rejected: list[str] = []
        given = {dept_id for dept_id, _ in candidates.departments.values()}
        own_words = proposal.rationale + "".join(proposal.steps)
        for name, dept_id in self._department_names.items():
            if dept_id not in given and name in own_words:
                rejected.append(f"理由或建议提到了非候选部门“{name}”")
        for name in set(_OFFICES.findall(own_words)):
            if not any(name in n for _, n in candidates.departments.values()):
                rejected.append(f"理由或建议提到了非候选机构“{name}”")
        return rejected

    def _needs_plate(self, category_id: str) -> bool:
        keep = self.kb.policy.plate_categories
        return category_id in keep or category_id.split(".")[0] in keep

    def _case_draft(self, p: DraftProposal, c: Candidates, facts: DraftFacts, provider: LLMProvider) -> CaseDraft:
        assist = tuple(a for a in dict.fromkeys(p.assist) if a != p.lead)
        return CaseDraft(
            title=p.title, summary=_whole_clauses(p.summary, _SUMMARY_MAX), place=place_text(facts),
            request=p.request, suggested_steps=tuple(p.steps), category_id=c.categories[p.category].id,
            lead_department_id=c.departments[p.lead][0],
            assisting_department_ids=tuple(c.departments[a][0] for a in assist),
            cited_clause_ids=tuple(dict.fromkeys(k for code in (p.lead, *assist) for k in c.clauses[code])),
            priority=p.priority,
            rationale=_whole_clauses(p.rationale, _RATIONALE_MAX), drafter=f"{provider.name}:{provider.model_name}",
        )

    def _fall_back(self, facts: DraftFacts, calls: list[LLMCall], reason: str) -> DraftOutcome:
        return DraftOutcome(draft=self.fallback.draft(facts).draft, calls=tuple(calls), fallback_reason=reason)

_SUMMARY_MAX = DraftProposal.model_fields["summary"].metadata[-1].max_length
_RATIONALE_MAX = DraftProposal.model_fields["rationale"].metadata[-1].max_length
_CLAUSE_END = re.compile(r"[，。；、,;]")


def _correction(problems: list[str]) -> str:
    """What the model is told when its draft was wrong."""
    return f"上面的输出不合格：{'；'.join(problems)}。请按规则改正，只输出JSON。"


def _whole_clauses(text: str, limit: int) -> str:
    """A field the grammar ended at its length limit, cut back to its last whole clause and closed
    with a full stop, so that a draft never ends mid-word; kept as it is when that would drop more
    than half of it, or when it was not cut."""
    if len(text) < limit or text.endswith("。"):
        return text
    ends = [m.start() for m in _CLAUSE_END.finditer(text)]
    if not ends or ends[-1] < len(text) // 2:
        return text
    return text[: ends[-1]] + "。"


_OFFICES = re.compile(r"市委办公室|市政府办公厅|市委|纪委|监委|市长")


def _parse(raw: str) -> tuple[dict[str, Any] | None, DraftProposal | None, list[str]]:
    """The output's JSON object and the proposal it validates to, or the problems that stop it."""
    text = re.sub(r"^```(?:json)?\s*|\s*```$", "", raw.strip())
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, None, [f"不是合法的JSON（{exc.msg}，第{exc.pos}个字符）"]
    if not isinstance(data, dict):
        return None, None, ["输出必须是一个JSON对象"]
    try:
        return data, DraftProposal.model_validate(data), []
    except ValidationError as exc:
        return data, None, [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]


def _unknown_codes(proposal: DraftProposal, candidates: Candidates) -> list[str]:
    """The category and departments the proposal chose from outside the candidates."""
    rejected: list[str] = []
    if proposal.category not in candidates.categories:
        rejected.append(f"category {proposal.category} 不是候选分类编号")
    for code in [proposal.lead, *proposal.assist]:
        if code not in candidates.departments:
            rejected.append(f"部门 {code} 不是候选部门编号")
    return rejected


def _department_names(kb: KnowledgeBase) -> dict[str, str]:
    names: dict[str, str] = {}
    for dept in kb.departments.values():
        for name in (dept.name, dept.short_name, *dept.aliases):
            if name and len(name) >= 3:
                names[name] = dept.id
    return names


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
