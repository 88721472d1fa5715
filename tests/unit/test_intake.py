import pytest

from agent.intake import IntakeStage, ReportRejected
from agent.types import ReportIn

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_rejects_empty_reports_with_a_clear_message(text: str) -> None:
    with pytest.raises(ReportRejected, match="empty"):
        IntakeStage().run(ReportIn(text=text))


def test_rejects_overlong_reports_naming_the_limit() -> None:
    with pytest.raises(ReportRejected, match="6000 characters, over the limit of 5000"):
        IntakeStage(max_chars=5000).run(ReportIn(text="井" * 6000))


@pytest.mark.parametrize("text", ["1234567890", "？？？！！！", "###---"])
def test_rejects_reports_without_words(text: str) -> None:
    with pytest.raises(ReportRejected, match="no readable words"):
        IntakeStage().run(ReportIn(text=text))


def test_masks_personal_data_and_normalises_matching_text() -> None:
    result = IntakeStage().run(ReportIn(text="我叫王建国，電話13812345678，井蓋沒了"))
    assert result.text == "我叫[姓名]，電話[手机号]，井蓋沒了"
    assert "13812345678" not in result.matching_text
    assert "井盖没了" in result.matching_text
    assert {p.kind for p in result.personal_data} == {"name", "mobile"}
    assert result.received_at.tzinfo is not None


def test_title_alone_is_enough() -> None:
    result = IntakeStage().run(ReportIn(text=" ", title="路灯不亮"))
    assert result.matching_text == "路灯不亮"
