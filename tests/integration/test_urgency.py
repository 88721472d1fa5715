import pytest

from agent.pipeline import TriagePipeline
from agent.types import ReportIn

pytestmark = pytest.mark.integration

URGENT = [
    ("suicide", "有个小伙子站在我们小区18号楼楼顶边上，说不想活了，快来人"),
    ("gas-leak", "楼道里一股很冲的煤气味，好像哪家燃气泄漏了，我们都不敢开灯"),
    ("fire", "东风路一家饭店后厨着火了，冒着黑烟，火苗都窜出窗户了"),
    ("manhole", "中州大道辅路上一个井盖没了，黑窟窿在路中间，刚才差点有电动车掉进去"),
    ("collapse", "航海路上突然塌陷出一个大坑，有两米多宽，车都绕着走"),
    ("trapped", "我们被困在电梯里了，卡在7楼和8楼中间，里面有老人和小孩"),
    ("trapped", "小区里那个电梯又坏了，我妈被关在电梯里半个小时了出不来"),
    ("electrocution", "刮大风把路边的电线刮断了，垂到地上还在冒火花，旁边就是学校"),
]

NOT_URGENT = [
    "小区门口的路灯坏了好几天了，希望有空来修一下",
    "想咨询一下公积金提取需要哪些材料",
    "楼道里有人放电动车，担心会不会着火，希望物业管一管",
    "上周反映的井盖问题已经修好了，谢谢你们",
]


@pytest.mark.parametrize(("signal", "text"), URGENT)
def test_life_safety_reports_are_urgent(pipeline: TriagePipeline, signal: str, text: str) -> None:
    result = pipeline.triage(ReportIn(text=text))
    urgency = result.understanding.urgency
    assert urgency.urgent and urgency.priority == "urgent"
    assert signal in {s.id for s in urgency.signals}
    assert result.needs_review, "urgent reports always reach a person"
    assert result.draft.title.startswith("【紧急】")
    first_step = result.draft.suggested_steps[0]
    assert first_step.startswith("紧急（") and urgency.signals[0].label in first_step, first_step


@pytest.mark.parametrize("text", NOT_URGENT)
def test_ordinary_and_negated_reports_are_not_urgent(pipeline: TriagePipeline, text: str) -> None:
    assert not pipeline.triage(ReportIn(text=text)).understanding.urgency.urgent


def test_urgent_signal_wins_even_when_the_category_is_uncertain(pipeline: TriagePipeline) -> None:
    # A rambling report whose category is unclear still carries a life-safety signal.
    result = pipeline.triage(ReportIn(text="喂，那个，我也不知道该找谁，就是我们这边有人说要跳河，在东风渠桥上"))
    assert result.understanding.urgency.urgent
    assert "suicide" in {s.id for s in result.understanding.urgency.signals}
