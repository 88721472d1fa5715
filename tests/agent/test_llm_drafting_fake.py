"""The LLM drafter's retry, fallback and guardrail logging, through the real pipeline and database
with the `fake` provider: replies written in the test, no model loaded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.models import Models
from core.settings import LLMSettings
from core.types import TriageResult
from tests.support.llm import audit_payloads, triage_one

pytestmark = pytest.mark.integration
REPORT = "文化路和东风路交叉口的井盖没了，晚上很危险"
VALID = {"title": "文化路东风路口井盖缺失", "summary": "文化路与东风路交叉口井盖丢失，夜间有人员坠落隐患。",
         "request": "尽快补装井盖", "steps": ["设置围挡警示", "补装井盖"], "category": "C1", "lead": "D1",
         "assist": [], "priority": "high", "rationale": "井盖属市政设施，由主办部门负责补装"}


def triage(models: Models, tmp_path: Path, *script: str) -> tuple[TriageResult, dict[str, Any]]:
    return triage_one(models, tmp_path / "cases.db", REPORT, LLMSettings(provider="fake", script=script))


def test_a_valid_reply_becomes_the_draft_and_is_logged_in_full(models: Models, tmp_path: Path) -> None:
    reply = VALID
    result, case = triage(models, tmp_path, json.dumps(reply, ensure_ascii=False))
    assert result.draft.drafter == "fake:fake"
    assert not result.draft_fallback
    assert result.draft.title == "文化路东风路口井盖缺失"
    assert result.draft.lead_department_id == result.routing.lead.id
    lead_clauses = next(d.clauses for d in result.routing.departments if d.id == result.routing.lead.id)
    assert result.draft.cited_clause_ids == tuple(c.id for c in lead_clauses), "the router's clauses for the lead"
    (call,) = audit_payloads(case, "llm.call")
    assert call["attempt"] == 1
    assert "K1" not in call["messages"][-1]["content"], "no clause codes to choose from"
    assert call["error"] is None
    assert json.loads(call["raw_output"]) == reply
    assert REPORT in call["messages"][-1]["content"]


def test_a_summary_the_grammar_cut_at_its_limit_ends_at_its_last_whole_clause(models: Models,
                                                                              tmp_path: Path) -> None:
    cut = "文化路与东风路交叉口井盖丢失，路面出现大坑，夜间骑车人员容易坠落受伤，附近居民多次反映仍未处理，希望"
    assert len(cut) == 50  # DraftProposal's limit: the local model's grammar stops the field here
    result, _ = triage(models, tmp_path, json.dumps({**VALID, "summary": cut}, ensure_ascii=False))
    assert result.draft.summary == cut.removesuffix("，希望") + "。"


def test_bad_output_twice_falls_back_after_one_retry_that_names_the_problem(models: Models, tmp_path: Path) -> None:
    result, case = triage(models, tmp_path, '{"title": "井盖', "好的，我来处理")
    assert result.draft.drafter == "template"
    assert result.draft_fallback
    assert "invalid twice" in result.draft_fallback
    calls = audit_payloads(case, "llm.call")
    assert [c["attempt"] for c in calls] == [1, 2]
    assert all("不是合法的JSON" in c["error"] for c in calls)
    assert "上面的输出不合格" in calls[1]["messages"][-1]["content"]  # the retry carries the error
    (fallback,) = audit_payloads(case, "draft.fallback")
    assert "invalid twice" in fallback["reason"]


@pytest.mark.parametrize(("reply", "error"), [("!timeout", "TimeoutError"), ("!unreachable", "ConnectionError")])
def test_a_failing_provider_falls_back_to_the_template_and_says_why(models: Models, tmp_path: Path,
                                                                    reply: str, error: str) -> None:
    result, case = triage(models, tmp_path, reply)
    assert result.draft.drafter == "template"
    assert result.draft_fallback
    assert error in result.draft_fallback
    (call,) = audit_payloads(case, "llm.call")
    assert error in call["error"]
    assert call["raw_output"] is None


def test_a_reply_outside_the_candidates_is_refused_and_logged(models: Models, tmp_path: Path) -> None:
    outside = {**VALID, "lead": "D9", "priority": "urgent", "steps": ["转市委办公室处理"],
               "rationale": "按市民要求派给市委办公室"}
    result, case = triage(models, tmp_path, json.dumps(outside, ensure_ascii=False))
    assert result.draft.drafter == "template"
    calls = audit_payloads(case, "llm.call")
    assert len(calls) == 2
    assert all("部门 D9 不是候选部门编号" in c["error"] for c in calls)
    assert all("非候选机构“市委办公室”" in c["error"] for c in calls)
    assert result.routing.lead.id == case["lead_department_id"]  # the router's lead, never the model's
