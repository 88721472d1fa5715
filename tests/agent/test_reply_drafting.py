"""Replies to citizens (智能生成): the template frames the department's own words; the LLM drafter,
through the `fake` provider made by the real factory, is offered only when every figure, place and
office it states is in the disposal, else it is asked once more and then the template stands."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from agent.llm import make_provider
from agent.reply_drafting import LLMReplyDrafter, TemplateReplyDrafter, department_words, unsupported_facts
from core.settings import LLMSettings
from core.types import Commitment, ReplyFacts

ZONE = ZoneInfo("Asia/Shanghai")
FACTS = ReplyFacts(
    case_id=7, title="金水区文化路人行道井盖缺失",
    report="文化路和红旗路交叉口往北50米人行道上井盖没了，我叫王建国，电话13912345678",
    place="金水区文化路街道", department="金水区城市管理局", outcome="partly",
    disposal="网友您好！经查，我局市政养护队已于12月3日在该处补装井盖，并排查周边井盖5处。感谢您对我们工作的支持！",
    commitments=(Commitment(text="对文化路沿线井盖完成加固", due=datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC)),))
GOOD = ("您好！您反映的金水区文化路人行道井盖缺失问题，已转金水区城市管理局办理。市政养护队已于12月3日补装井盖，"
        "并排查周边井盖5处，文化路沿线井盖将于2026年12月31日前完成加固。感谢您的支持！如仍有问题，欢迎再次拨打12345热线反映。")
INVENTED = ("您好！您反映的问题已转金水区城市管理局办理。市政养护队已于12月4日在二七区大学路补装井盖3个，"
            "感谢您的支持！如仍有问题，欢迎再次拨打12345热线反映。")


def llm(*script: str) -> LLMReplyDrafter:
    settings = LLMSettings(provider="fake", script=script)
    return LLMReplyDrafter(settings, make_provider(settings), ZONE)


def test_the_template_frames_the_departments_words_and_dates_its_commitments() -> None:
    draft = TemplateReplyDrafter(ZONE).draft(FACTS)
    assert draft.source == "template"
    assert draft.text.startswith("您好！您反映的“金水区文化路人行道井盖缺失”问题已转金水区城市管理局办理。")
    assert "经查，我局市政养护队已于12月3日在该处补装井盖，并排查周边井盖5处。" in draft.text
    assert "网友您好" not in draft.text
    assert "感谢您对我们工作的支持" not in draft.text
    assert "后续：对文化路沿线井盖完成加固，将于2026年12月31日前完成。" in draft.text  # the city's date
    assert draft.unsupported == ()


def test_department_words_lose_the_greeting_and_the_thanks() -> None:
    assert department_words("尊敬的市民：您好！已安排清运。感谢您的理解与支持！") == "已安排清运。"
    assert department_words("已安排清运") == "已安排清运。"
    assert department_words("网友“UU008205” 您好，收到留言后我们已联系望岳街道办事处。 感谢您对我们工作的关心、"
                            "监督与支持！中共A3区委办公室2013年11月9日。") == "收到留言后我们已联系望岳街道办事处。"


def test_figures_places_and_offices_the_facts_do_not_contain_are_named() -> None:
    assert unsupported_facts(GOOD, FACTS, ZONE) == []
    assert unsupported_facts(INVENTED, FACTS, ZONE) == ["4日", "3个", "二七区", "大学路"]
    assert unsupported_facts("已由郑州市公安局处理。", FACTS, ZONE) == ["郑州市", "郑州市公安局"]


def test_a_grounded_model_reply_is_offered_and_the_prompt_is_masked() -> None:
    draft = llm(json.dumps({"text": GOOD}, ensure_ascii=False)).draft(FACTS)
    assert draft.source == "llm"
    assert draft.text == GOOD
    assert draft.fallback_reason is None
    (call,) = draft.calls
    prompt = call.messages[-1]["content"]
    assert "13912345678" not in prompt
    assert "王建国" not in prompt
    assert "<处置>" in prompt
    assert "12月3日" in prompt


def test_a_reply_that_invents_facts_is_asked_again_then_the_template_stands() -> None:
    draft = llm(json.dumps({"text": INVENTED}, ensure_ascii=False)).draft(FACTS)
    assert draft.source == "template"
    assert draft.fallback_reason is not None
    assert "invalid twice" in draft.fallback_reason
    assert len(draft.calls) == 2
    assert "二七区" in draft.calls[1].messages[-1]["content"], "the retry names what was invented"
    assert draft.text == TemplateReplyDrafter(ZONE).draft(FACTS).text


@pytest.mark.parametrize("script", ["!timeout", "not json at all", json.dumps({"text": "好"})])
def test_a_failing_or_bad_model_leaves_the_template(script: str) -> None:
    draft = llm(script).draft(FACTS)
    assert draft.source == "template"
    assert draft.fallback_reason
