"""A briefing's prose (专报综述). The template narrator writes it from the figures alone, in the
reader's language. The LLM narrator gives a chat model (prompt `prompts/briefing_narrative.yaml`)
the template's text as its facts and asks for a briefing paragraph in Chinese; every number in the
answer must be one of the facts' numbers, else the template's text stands, with the reason."""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.briefing_words import change, hours, kind_name, local_time, period_label, rate, say
from agent.llm.chat_user import ChatModelUser, Checked
from core.briefings import BriefingFigures, BriefingNarrative
from core.settings import LLMSettings

if TYPE_CHECKING:  # the LLM layer (LangChain) loads only when an LLM narrative is asked for
    from agent.llm import LLMProvider
    from prompts.loader import PromptSpec

NUMBER = re.compile(r"\d+(?:\.\d+)?")
PROMPT = "briefing_narrative"
TOP = 3  # categories and hot issues the narrative names


class Narrator(ABC):
    name: str = "narrator"

    def warm_up(self) -> None:  # noqa: B027 - only model-backed narrators load anything
        """Load models; nothing for narrators that need none."""

    @abstractmethod
    def narrate(self, figures: BriefingFigures, lang: str = "zh") -> BriefingNarrative: ...


class TemplateNarrator(Narrator):
    name = "template"

    def narrate(self, figures: BriefingFigures, lang: str = "zh") -> BriefingNarrative:
        return BriefingNarrative(text=template_text(figures, lang), source="template")


def template_text(f: BriefingFigures, lang: str = "zh") -> str:
    """One paragraph per part of the briefing, each sentence filled from the figures."""
    v, p = f.volumes, f.period
    parts = [say("story.volumes", lang, period=period_label(p, lang), kind=kind_name(p, lang),
                 cases=v.cases.current, cases_change=change(v.cases, lang, say("unit.case", lang)),
                 reports=v.reports.current, reports_change=change(v.reports, lang, say("unit.report", lang)))]
    top = [r for r in v.by_category if r.cases.current][:TOP]
    if top:
        parts.append(say("story.categories", lang, items=say("separator", lang).join(
            say("story.item", lang, name=r.name, n=r.cases.current) for r in top)))
    if f.hot:
        parts.append(say("story.hot", lang, items=say("separator", lang).join(
            say("story.hot_item", lang, title=h.title, n=h.reports, growth=h.growth) for h in f.hot[:TOP])))
    o = f.overdue
    parts.append(say("story.overdue", lang, as_of=local_time(o.as_of, p.timezone), late=o.past_resolve_by,
                     step_late=o.past_due_by))
    if f.response.count or f.disposal.count:
        parts.append(say("story.times", lang, responses=f.response.count, response=hours(f.response.median_hours),
                         disposals=f.disposal.count, disposal=hours(f.disposal.median_hours)))
    c = f.verification
    if c.disposals:
        parts.append(say("story.verification", lang, n=c.disposals, failed=c.final_fail, rate=rate(c.fail_rate)))
    s = f.satisfaction
    if s.callbacks or s.reopened:
        parts.append(say("story.satisfaction", lang, n=s.callbacks, rate=rate(s.satisfaction_rate),
                         unsatisfied=s.unsatisfied, reopened=s.reopened))
    open_urgent = sum(1 for u in f.urgent if u.status not in ("closed", "rejected"))
    parts.append(say("story.urgent", lang, n=len(f.urgent), open=open_urgent) if f.urgent
                 else say("story.no_urgent", lang))
    return ("" if lang == "zh" else " ").join(parts)  # Chinese sentences end in 。 and need no space


class NarrativeProposal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=20, max_length=800)


class LLMNarrator(ChatModelUser, Narrator):
    """The chat model's paragraph, grounded in the template's facts; Chinese only."""

    name = "llm"

    def __init__(self, settings: LLMSettings, provider: LLMProvider | None = None, prompt: str = PROMPT) -> None:
        from prompts.loader import load_prompt

        self.settings = settings
        self._provider = provider
        self.prompt: PromptSpec = load_prompt(prompt)
        self.fallback = TemplateNarrator()

    def narrate(self, figures: BriefingFigures, lang: str = "zh") -> BriefingNarrative:
        facts = template_text(figures, "zh")
        messages = self.prompt.render(period=period_label(figures.period, "zh"), kind=kind_name(figures.period, "zh"),
                                      facts=facts)

        def checked(raw: str) -> Checked[str]:
            text, problem = check(raw, facts)
            return Checked(text, [problem] if problem else [])

        asked = self.ask_checked(messages, NarrativeProposal.model_json_schema(), checked, _correction)
        if asked.value is None:  # the provider failed or the answer was wrong twice: the template stands
            return self._fall_back(figures, lang, asked.failure or "")
        provider = self.provider
        return BriefingNarrative(text=asked.value, source="llm", model=f"{provider.name}:{provider.model_name}")

    def _fall_back(self, figures: BriefingFigures, lang: str, reason: str) -> BriefingNarrative:
        return self.fallback.narrate(figures, lang).model_copy(update={"fallback_reason": reason})


def _correction(problems: list[str]) -> str:
    """What the model is told when its narrative was wrong."""
    return f"上面的输出不合格：{'；'.join(problems)}。只用给出的数字，只输出JSON。"


def check(raw: str, facts: str) -> tuple[str | None, str]:
    """The narrative's text, or None and why it may not be used."""
    start, end = raw.find("{"), raw.rfind("}")
    try:
        proposal = NarrativeProposal.model_validate(json.loads(raw[start:end + 1] if 0 <= start < end else raw))
    except (json.JSONDecodeError, ValidationError) as exc:
        return None, f"not a JSON narrative: {str(exc).splitlines()[0]}"
    text = proposal.text.strip()
    unsupported = unsupported_numbers(text, facts)
    if unsupported:
        return None, f"numbers not in the figures: {', '.join(unsupported)}"
    if len(re.findall(r"[\u4e00-\u9fa5]", text)) < len(text) * 0.5:
        return None, "the narrative is not in Chinese"
    return text, ""


def unsupported_numbers(text: str, facts: str) -> list[str]:
    """The numbers of `text` that the facts do not state."""
    known = set(NUMBER.findall(facts))
    return list(dict.fromkeys(n for n in NUMBER.findall(text) if n not in known))


def make_narrator(settings: LLMSettings, llm: bool = False) -> Narrator:
    """The template narrator, unless `llm` asks for the configured model (and one is configured)."""
    if not llm:
        return TemplateNarrator()
    if settings.provider == "none":
        raise ValueError("an LLM narrative needs a language model: set --llm, GRIDTRIAGE_LLM or llm.provider")
    return LLMNarrator(settings)
