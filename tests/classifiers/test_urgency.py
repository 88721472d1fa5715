"""Urgency as a learned decision through the real pipeline (USE, the classifier, the trained urgency
model): levels in context, evidence a supervisor can read, and the emergency protocol."""

import pytest

from agent.pipeline import TriagePipeline
from core.types import ReportIn

pytestmark = pytest.mark.integration

# (what danger, the services an operator brings in, the report): phrasings written for this test
URGENT = [
    ("fire", {"119"}, "东风路一家饭店后厨着火了，冒着黑烟，火苗都窜出窗户了"),
    ("gas", {"gas"}, "楼道里一股很冲的煤气味，好像哪家燃气泄漏了，我们都不敢开灯"),
    ("suicide", {"110"}, "有个小伙子站在我们小区18号楼楼顶边上，说不想活了，快来人"),
    ("collapse", {"120"}, "惠济区天河路有个老人突然晕倒在路边，叫不醒"),
    ("live wire", {"power"}, "刮大风把路边的电线刮断了，垂到地上还在冒火花，旁边就是学校"),
    ("trapped", {"119"}, "我们被困在电梯里了，卡在7楼和8楼中间，里面有老人和小孩，已经闷得喘不上气"),
]

NOT_URGENT = [
    "小区门口的路灯坏了好几天了，希望有空来修一下",
    "想咨询一下公积金提取需要哪些材料",
    "上周反映的井盖问题已经修好了，谢谢你们",
    "楼下烧烤店生意火爆，排队的人把人行道都占满了",
    "隔壁工地晚上十一点还在打桩，咚咚咚的，吵得整栋楼睡不着",
    "对门天天半夜打麻将，洗牌声哗啦哗啦响到两点",
]


@pytest.mark.parametrize(("danger", "calls", "text"), URGENT)
def test_life_safety_reports_are_urgent_with_the_emergency_protocol(pipeline: TriagePipeline, danger: str,
                                                                    calls: set[str], text: str) -> None:
    result = pipeline.triage(ReportIn(text=text))
    urgency = result.understanding.urgency
    assert urgency.level == "urgent", (danger, urgency)
    assert urgency.urgent, (danger, urgency)
    assert urgency.priority == "urgent", (danger, urgency)
    assert urgency.evidence
    assert urgency.reason.code == "urgency.urgent"
    assert urgency.emergency is not None, urgency.emergency
    assert calls <= {c.id for c in urgency.emergency.call}, urgency.emergency
    assert urgency.emergency.script
    assert all(line for line in urgency.emergency.script)
    assert result.needs_review, "urgent reports always reach a person"
    assert result.draft.title.startswith("【紧急】")
    assert result.draft.suggested_steps[0].startswith("立即转接")
    case = pipeline.store.case(result.case_id)
    assert case is not None
    assert case.emergency is not None
    assert case.emergency["call"], "the case keeps its protocol for the queue"


@pytest.mark.parametrize("text", NOT_URGENT)
def test_ordinary_resolved_and_figurative_reports_are_not_urgent(pipeline: TriagePipeline, text: str) -> None:
    urgency = pipeline.triage(ReportIn(text=text)).understanding.urgency
    assert not urgency.urgent, urgency
    assert urgency.emergency is None, urgency


def test_a_hazard_to_remove_quickly_is_high_not_urgent(pipeline: TriagePipeline) -> None:
    text = "小区后门那条小路上有个井盖松了，踩上去咯噔响，白天没什么人走"
    urgency = pipeline.triage(ReportIn(text=text)).understanding.urgency
    assert urgency.level in ("high", "normal")
    assert not urgency.urgent
    assert urgency.priority != "urgent"


def test_a_rambling_report_with_a_danger_in_it_is_still_urgent(pipeline: TriagePipeline) -> None:
    result = pipeline.triage(ReportIn(text="喂，那个，我也不知道该找谁，就是我们这边有人说要跳河，在东风渠桥上"))
    urgency = result.understanding.urgency
    assert urgency.urgent
    assert urgency.emergency is not None
    assert "suicide" in {s.id for s in urgency.signals}, "the policy's patterns are evidence beside the model's words"
