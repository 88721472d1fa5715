"""The reply checks of 智能核查 with the real embedder and tokenizer and the shipped weights: a
department's real answer passes both, the answer to a neighbour's report is not relevant, a reply
of courtesy alone has no substance, and a full answer is complete where the same answer without its
handling is not. Plus the frozen split, the courtesy cut and the incomplete cut of the evaluation
set, and how a report's requests and a reply's parts are found."""

from __future__ import annotations

import pytest

from agent.models import Models
from classifiers.replies import ReplyChecker
from classifiers.reply_parts import reply_parts, requests, without_answer
from core.settings import VerificationSettings
from eval.reply_checks import courtesy_only, split_of

pytestmark = pytest.mark.integration

REPORT = "金水区文化路与东风路交叉口东南角的井盖丢失，留下一个大坑，晚上骑车很危险，希望尽快补上。"
TITLE = "文化路东风路口井盖丢失"
ANSWER = ("您好！您反映的“文化路东风路口井盖丢失”问题已收悉。经金水区城市管理局现场核实，该处为雨水井，"
          "井盖于3月12日被盗。3月13日上午已设置围挡警示，当日下午更换为防盗型复合井盖并完成验收，"
          "同时将该路段列入每日巡查范围。感谢您对我们工作的支持。")
NEIGHBOUR = ("您好！您反映的“二七区大学路小区物业乱收停车费”问题已收悉。经二七区住房保障局调查，"
             "该小区物业公司自4月起按每月150元收取地面停车费，未经业主大会表决。已责令物业公司暂停收费，"
             "并于5月10日前组织业主表决收费方案。感谢您对我们工作的支持。")
COURTESY = "您好！您反映的问题已收悉，我们将尽快处理。感谢您对我们工作的支持。"
# The same answer told in full: what was found, what was done, and the next step with its date
FULL_ANSWER = ("您好！您反映的“文化路东风路口井盖丢失”问题已收悉。经金水区城市管理局现场核实，该处为雨水井，"
               "井盖于3月12日被盗。3月13日上午已设置围挡警示，防止行人和车辆跌落。当日下午更换为防盗型复合井盖，"
               "并完成验收。同时已将该路段列入每日巡查范围，发现井盖缺失将在2小时内处置。"
               "下一步将于4月底前排查全区同类井盖并更换为防盗型。感谢您对我们工作的支持。")


@pytest.fixture(scope="module")
def checker(models: Models) -> ReplyChecker:
    return ReplyChecker(models.embedder, models.tokenizer, VerificationSettings())


def test_a_real_answer_is_relevant_and_substantive(checker: ReplyChecker) -> None:
    check = checker.check(REPORT, ANSWER, TITLE)
    assert check.relevance >= VerificationSettings().pass_at, check
    assert check.substance >= VerificationSettings().pass_at, check


def test_the_answer_to_a_neighbour_s_report_is_not_relevant(checker: ReplyChecker) -> None:
    ours, theirs = checker.check(REPORT, ANSWER, TITLE), checker.check(REPORT, NEIGHBOUR, TITLE)
    assert theirs.relevance < VerificationSettings().fail_below, theirs
    assert theirs.features.foreign_places > ours.features.foreign_places
    assert theirs.substance >= VerificationSettings().pass_at, "it says something, only not about this"


def test_courtesy_alone_has_no_substance(checker: ReplyChecker) -> None:
    check = checker.check(REPORT, COURTESY, TITLE)
    assert check.substance < VerificationSettings().fail_below, check
    assert check.features.new_terms < checker.check(REPORT, ANSWER, TITLE).features.new_terms


def test_the_evaluation_split_is_fixed_by_id_and_holds_out_about_thirty_percent() -> None:
    ids = [str(i) for i in range(3000)]
    assert [split_of(i) for i in ids] == [split_of(i) for i in ids]
    assert 0.27 < sum(split_of(i) == "test" for i in ids) / len(ids) < 0.33


def test_the_courtesy_cut_keeps_the_first_and_last_sentences() -> None:
    assert courtesy_only(ANSWER) == "您好！感谢您对我们工作的支持。"
    assert courtesy_only("已收悉。谢谢。") is None


def test_a_full_answer_is_complete_and_the_same_answer_without_its_handling_is_not(checker: ReplyChecker) -> None:
    full = checker.check(REPORT, FULL_ANSWER, TITLE)
    cut = checker.check(REPORT, without_answer(FULL_ANSWER) or "", TITLE)
    assert full.completeness >= VerificationSettings().pass_at, full
    assert cut.completeness < VerificationSettings().pass_at, cut
    assert cut.features.body_sentences < full.features.body_sentences


def test_a_reply_splits_into_courtesy_opening_body_and_closing() -> None:
    parts = reply_parts(FULL_ANSWER)
    assert parts.opening == ("您好！", "您反映的“文化路东风路口井盖丢失”问题已收悉。")
    assert parts.closing == ("感谢您对我们工作的支持。",)
    assert len(parts.body) == 5
    announced = reply_parts("网友您好！您的留言已收悉。现将有关情况回复如下：经查，该路段已修复。2019年5月1日")
    assert announced.body == ("经查，该路段已修复。",)


def test_the_incomplete_cut_drops_the_later_half_of_the_body() -> None:
    cut = without_answer(FULL_ANSWER)
    assert cut is not None
    assert cut.startswith("您好！您反映的")
    assert cut.endswith("感谢您对我们工作的支持。")
    assert "井盖于3月12日被盗" in cut
    assert "下一步" not in cut
    assert "巡查" not in (without_answer(ANSWER) or "巡查")
    assert without_answer(COURTESY) is None


def test_requests_are_the_clauses_that_ask() -> None:
    asked = requests("小区门口路灯坏了一个月。请尽快修好？另外能否在路口加装减速带，晚上车太快。")
    assert {"请尽快修好", "另外能否在路口加装减速带"} <= set(asked)
    assert not any("车太快" in clause or "坏了" in clause for clause in asked)
    assert requests("楼下井盖丢了") == ["楼下井盖丢了"]
