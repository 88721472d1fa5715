"""The parts of a report and of a department's reply that the completeness check reads: the
report's requests, and the reply's courtesy opening, body and closing.

- A request is a clause of the report (split at 。！？；，, and line ends) that asks for something:
  it has 要求/希望/请/能否/建议/… or ends in a question mark. A report with no such clause asks
  for one thing, the problem it reports, so its whole text is the one request.
- A reply opens with courtesy (a greeting, "留言已收悉", "现将有关情况回复如下：") and closes with
  it (thanks, "特此回复", a date or a signature). The opening is the first sentence plus the
  sentences after it that still greet, acknowledge or announce the answer; the closing is the last
  sentences that thank, sign off or only date the reply. The body is what lies between: what was
  found, done, decided or promised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "现将有关情况回复如下：经调查…": the announcement ends at the colon, the answer starts after it
_SENTENCE = re.compile(r"(?<=[。！？!?；;\n])|(?<=如下：)|(?<=如下:)")
_CLAUSE = re.compile(r"[。！？!?；;，,\n]+")
_ASKS = re.compile(r"要求|希望|请|能否|可否|能不能|是否|建议|恳请|呼吁|盼望|为什么|为何|怎么|何时|多久|吗|呢")
_QUESTION = re.compile(r"[?？]")
_OPENING = re.compile(r"您好|你好|收悉|收到|如下|来信|留言|来邮|网友|市民|同志|感谢您")
_CLOSING = re.compile(r"感谢|谢谢|特此|支持|理解|关心|监督|欢迎|祝|此复")
_DATE_ONLY = re.compile(r"^[\s\d年月日.\-/]*$|^\s*\S{0,12}(局|委|办|政府|街道|中心|公司|大队|镇|乡)\s*$")
# Promises: what the department says it will do
PROMISE = re.compile(r"将|计划|预计|争取|拟|下一步|后续|近期|尽快|择机|待")
# A date or deadline on a promise: "5月10日前", "年底", "三个工作日内", "本周"
DATED = re.compile(r"\d+\s*[年月日号]|[一二三四五六七八九十两]+个?(月|日|天|周|工作日)|月底|年底|年内|周内|日内|天内|"
                   r"本周|本月|今年|明年|上半年|下半年|春节前|汛期前|以前|之前")


@dataclass(frozen=True)
class ReplyParts:
    opening: tuple[str, ...]
    body: tuple[str, ...]
    closing: tuple[str, ...]


def sentences(text: str) -> list[str]:
    return [p for p in _SENTENCE.split(text.strip()) if p.strip()]


def requests(report: str) -> list[str]:
    """The clauses of the report that ask for something; the whole report when none does."""
    asked = [c for c in _CLAUSE.split(report) if c.strip() and _ASKS.search(c)]
    asked += [c for c in re.findall(r"[^。！？!?；;\n]*[?？]", report) if c.strip() and c not in asked]
    return asked or [report]


def reply_parts(reply: str) -> ReplyParts:
    parts = sentences(reply)
    start = 1 if parts else 0
    while start < min(len(parts), 3) and _OPENING.search(parts[start]) and len(parts[start]) <= 60:
        start += 1
    end = len(parts)
    while end > start and len(parts) - end < 3 and (_DATE_ONLY.match(parts[end - 1])
                                                    or (_CLOSING.search(parts[end - 1]) and len(parts[end - 1]) <= 60)):
        end -= 1
    return ReplyParts(tuple(parts[:start]), tuple(parts[start:end]), tuple(parts[end:]))


def without_answer(reply: str) -> str | None:
    """The reply with its answering paragraph removed: the later half of its body (rounded up), where
    these replies give the finding, the handling and the promises after restating the problem and its
    background. None when the body has fewer than two sentences (nothing would be left to tell apart
    from courtesy alone)."""
    parts = reply_parts(reply)
    if len(parts.body) < 2:
        return None
    kept = parts.body[: len(parts.body) // 2]
    return "".join((*parts.opening, *kept, *parts.closing)).strip()
