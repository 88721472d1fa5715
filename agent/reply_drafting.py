"""Replies to citizens (智能生成): the answer to a report, drafted from the report's title and place
and the department's disposal only, for a person to edit and send.

The template drafter needs no model: it frames the department's own words. The LLM drafter asks a
chat model (prompt `prompts/reply_to_citizen.yaml`) with the drafter's guards: the report and the
disposal are masked again and sit inside tags as data; the output is one JSON object whose text
must be Chinese prose of a sensible length and may state no figure, date, place or office that the
facts do not contain (`unsupported_facts`); a bad answer is asked again once, then the template
reply stands, with the reason.
"""

from __future__ import annotations

import json
import re
import time
from abc import ABC, abstractmethod
from datetime import datetime, tzinfo
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.llm import LLMProvider
from agent.llm.chat_user import ChatModelUser, Checked
from classifiers.replies import PLACE
from core.masking import mask
from core.records import CaseRecord, DisposalRecord
from core.settings import LLMSettings
from core.types import Commitment, ReplyDraft, ReplyFacts
from prompts.loader import PromptSpec, load_prompt

# A figure as a reply states one: a number with its unit, if any (12月, 3日, 5处, 50米), so that the
# 3 of "3个" is not taken for the 3 of "12月3日".
UNITS = "平方米|立方米|公里|年|月|日|号|时|点|分|天|个|处|米|元|万|辆|棵|盏|户|人|次|件|条|座|吨|%"
FIGURE = re.compile(rf"\d+(?:\.\d+)?(?:{UNITS})?")
# An office a reply may name: a name ending like a government body or a company.
OFFICE = re.compile(r"[\u4e00-\u9fa5]{2,10}?(?:局|委员会|委|办事处|中心|公司|大队|中队|所|站)")
ALWAYS_ALLOWED = ("12345",)  # the hotline's own number, which every reply may give
# An opening greeting (网友“UU008205”您好，/ 尊敬的市民：), the thanks, and a signature with its date
_GREETING = re.compile(r"^(?:[^。！!]{0,30}?(?:您好|你好)|尊敬的[^，,。！!：:]{0,12})[！!，,。：:\s]*")
_THANKS = re.compile(r"[^。！!]*(?:感谢|谢谢)[^。！!]*(?:支持|理解|关注|关心|监督|信任)[^。！!]*[。！!]?")
_SIGNATURE = re.compile(r"[\u4e00-\u9fa5A-Za-z0-9（）()]{0,24}\d{4}年\d{1,2}月\d{1,2}日[。.]?$")
_OPENINGS = {"resolved": "经办理，", "partly": "经办理，问题已部分解决：", "explained": "经核实，",
             "not_our_remit": ""}


def unsupported_facts(text: str, facts: ReplyFacts, timezone: tzinfo | None = None) -> list[str]:
    """The figures, places and offices in `text` that none of the facts contains: what a reply
    would be stating on its own authority."""
    sources = "\n".join([facts.title, facts.place or "", facts.department, facts.disposal,
                         *(c.text for c in facts.commitments),
                         *(_date(c.due, timezone) for c in facts.commitments if c.due is not None)])
    figures = set(FIGURE.findall(sources)) | set(ALWAYS_ALLOWED)
    missing = [f for f in FIGURE.findall(text) if f not in figures and f.lstrip("0") not in figures]
    # a bare number (no unit) is supported by the same number with any unit in the facts
    bare = {re.match(r"[\d.]+", f).group() for f in figures}  # type: ignore[union-attr]
    missing = [f for f in missing if not (f.isdigit() and f in bare)]
    for pattern in (PLACE, OFFICE):
        missing += [_shown(name) for name in pattern.findall(text) if not _named_in(name, sources)]
    return list(dict.fromkeys(missing))


def _named_in(name: str, sources: str) -> bool:
    """A matched name is supported when some ending of it of three or more characters (金水区 in
    转金水区, 管理局 in 金水区城市管理局) is in the facts: the pattern's match may start a few
    characters early, inside the words before the name."""
    return any(name[i:] in sources for i in range(0, max(1, len(name) - 2)))


def _shown(name: str) -> str:
    """The name without the words that ran into its start (由郑州市公安局 → 郑州市公安局)."""
    return _LEADING.sub("", name).lstrip(_JOINERS) or name


_JOINERS = "在由向对于经已转到和与的将"
_LEADING = re.compile(f"^.*?[{_JOINERS}]")


def _date(moment: Any, timezone: tzinfo | None) -> str:
    local = moment.astimezone(timezone) if timezone else moment
    return f"{local.year}年{local.month}月{local.day}日"


def department_words(disposal: str) -> str:
    """The department's reply without its greeting and closing thanks, ending with a full stop."""
    body = re.sub(r"\s+", "", disposal)
    body = _SIGNATURE.sub("", _THANKS.sub("", _GREETING.sub("", body))).strip()
    if body and body[-1] not in "。！？!?":
        body += "。"
    return body


class ReplyDrafter(ABC):
    name: str = "reply"

    def warm_up(self) -> None:  # noqa: B027 - only model-backed drafters load anything
        """Load models; nothing for drafters that need none."""

    @abstractmethod
    def draft(self, facts: ReplyFacts) -> ReplyDraft: ...


class TemplateReplyDrafter(ReplyDrafter):
    """The department's words in the hotline's frame: greeting, who handled it, what they said, the
    commitments with their dates, the thanks and where to turn if the problem remains."""

    name = "template"

    def __init__(self, timezone: tzinfo | None = None) -> None:
        self.timezone = timezone

    def draft(self, facts: ReplyFacts) -> ReplyDraft:
        started = time.perf_counter()
        words = department_words(facts.disposal)
        opening = "" if words.startswith("经") else _OPENINGS.get(facts.outcome, "")
        problem = "" if facts.title.rstrip("？?。").endswith(("问题", "情况")) else "问题"
        lines = [f"您好！您反映的“{facts.title}”{problem}已转{facts.department}办理。",
                 f"{opening}{words}" if words else ""]
        for commitment in facts.commitments:
            due = f"，将于{_date(commitment.due, self.timezone)}前完成" if commitment.due else ""
            lines.append(f"后续：{commitment.text.rstrip('。')}{due}。")
        lines.append("感谢您对我们工作的理解与支持！如问题仍未解决，欢迎再次拨打12345热线反映。")
        text = "".join(line for line in lines if line)
        unsupported = tuple(unsupported_facts(text, facts, self.timezone))
        return ReplyDraft(text=text, source="template", unsupported=unsupported,
                          latency_ms=round((time.perf_counter() - started) * 1000, 2))


class ReplyProposal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=20, max_length=240)


class LLMReplyDrafter(ChatModelUser, ReplyDrafter):
    name = "llm"

    def __init__(self, settings: LLMSettings, provider: LLMProvider | None = None, timezone: tzinfo | None = None,
                 report_max_chars: int = 200, disposal_max_chars: int = 300) -> None:
        self.settings, self.timezone = settings, timezone
        self._provider = provider
        self.prompt: PromptSpec = load_prompt(settings.reply_prompt)
        self.fallback = TemplateReplyDrafter(timezone)
        self.report_max_chars, self.disposal_max_chars = report_max_chars, disposal_max_chars

    def variables(self, facts: ReplyFacts) -> dict[str, str]:
        commitments = "；".join(
            f"{c.text}（{_date(c.due, self.timezone)}前）" if c.due else c.text for c in facts.commitments) or "无"
        return {"title": mask(facts.title)[0], "place": facts.place or "未说明",
                "report": mask(facts.report)[0][: self.report_max_chars], "department": facts.department,
                "outcome": facts.outcome, "disposal": mask(facts.disposal)[0][: self.disposal_max_chars],
                "commitments": commitments}

    def draft(self, facts: ReplyFacts) -> ReplyDraft:
        started = time.perf_counter()

        def checked(raw: str) -> Checked[str]:
            text, problems = self.check(raw, facts)
            return Checked(text, problems)

        asked = self.ask_checked(self.prompt.render(**self.variables(facts)), ReplyProposal.model_json_schema(),
                                 checked, _correction)
        if asked.value is None:
            template = self.fallback.draft(facts)
            return template.model_copy(update={"fallback_reason": asked.failure, "calls": tuple(asked.calls),
                                               "latency_ms": _ms_since(started)})
        return ReplyDraft(text=asked.value, source="llm", calls=tuple(asked.calls), latency_ms=_ms_since(started))

    def check(self, raw: str, facts: ReplyFacts) -> tuple[str | None, list[str]]:
        """The reply's text and what is wrong with it (nothing: it may be offered)."""
        try:
            proposal = ReplyProposal.model_validate(json.loads(_json_part(raw)))
        except (json.JSONDecodeError, ValidationError) as exc:
            return None, [f"不是合格的JSON答复：{str(exc).splitlines()[0]}"]
        text = proposal.text.strip()
        problems = []
        if len(re.findall(r"[\u4e00-\u9fa5]", text)) < len(text) * 0.5:
            problems.append("答复应是中文")
        unsupported = unsupported_facts(text, facts, self.timezone)
        if unsupported:
            problems.append(f"写了处置结果里没有的内容：{'、'.join(unsupported)}")
        if "<" in text or "{" in text:
            problems.append("答复里不能有标签或占位符")
        return text, problems


def _correction(problems: list[str]) -> str:
    """What the model is told when its reply was wrong."""
    return f"上面的输出不合格：{'；'.join(problems)}。请改正，只用给出的事实，只输出JSON。"


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _json_part(raw: str) -> str:
    start, end = raw.find("{"), raw.rfind("}")
    return raw[start:end + 1] if start >= 0 and end > start else raw


def reply_facts(case: CaseRecord, disposal: DisposalRecord, department: str) -> ReplyFacts:
    """What the reply to `case` may say: its title, place and first report, and `disposal`."""
    names = [(case.place.get(k) or {}).get("name") for k in ("district", "street")]
    return ReplyFacts(
        case_id=case.id, title=case.title, report=case.reports[0].text if case.reports else case.summary,
        place="".join(str(n) for n in names if n) or None, department=department, disposal=disposal.reply,
        outcome=disposal.outcome,
        commitments=tuple(Commitment(text=c["text"], due=datetime.fromisoformat(c["due"]) if c.get("due") else None)
                          for c in disposal.commitments))


def make_reply_drafter(settings: LLMSettings, timezone: tzinfo | None = None) -> ReplyDrafter:
    if settings.provider == "none":
        return TemplateReplyDrafter(timezone)
    return LLMReplyDrafter(settings, timezone=timezone)
