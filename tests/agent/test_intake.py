import pytest

from agent.intake import IntakeStage, ReportRejected
from core.types import ReportIn

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_rejects_empty_reports_with_a_clear_message(text: str) -> None:
    with pytest.raises(ReportRejected, match="诉求内容为空") as refused:
        IntakeStage().run(ReportIn(text=text))
    assert refused.value.code == "report.empty"
    assert "empty" in refused.value.text("en")


def test_rejects_overlong_reports_naming_the_limit() -> None:
    with pytest.raises(ReportRejected, match="共 6000 字，超过 5000 字的上限") as refused:
        IntakeStage(max_chars=5000).run(ReportIn(text="井" * 6000))
    assert "6000 characters, over the limit of 5000" in refused.value.text("en")


@pytest.mark.parametrize("text", ["1234567890", "？？？！！！", "###---"])
def test_rejects_reports_without_words(text: str) -> None:
    with pytest.raises(ReportRejected, match="没有可读的文字") as refused:
        IntakeStage().run(ReportIn(text=text))
    assert refused.value.code == "report.no_words"


@pytest.mark.parametrize(("text", "code"), [
    ("sdfsdfsdf", "report.keyboard_mash"), ("lkjhgf poiuy", "report.keyboard_mash"),
    ("mmmmmm nnn", "report.keyboard_mash"), ("xkcdpqrt vbnw", "report.keyboard_mash"),
    ("fjdksla;fjdksl", "report.keyboard_mash"),
    ("测试一下", "report.test_message"), ("testing 123", "report.test_message"), ("ceshi ceshi", "report.test_message"),
])
def test_refuses_keyboard_mash_and_test_messages(text: str, code: str) -> None:
    with pytest.raises(ReportRejected) as refused:
        IntakeStage().run(ReportIn(text=text))
    assert refused.value.code == code
    assert "未立案" in str(refused.value)


@pytest.mark.parametrize("text", [
    "The street light outside Erqi Tower has been off for three nights",
    "lu deng huai le san tian le qing kuai xiu",  # pinyin typed without an input method
    "WiFi 信号太差", "CCTV camera at the gate is broken", "你好，测试中心门口的井盖没了",
])
def test_accepts_english_pinyin_and_mixed_reports(text: str) -> None:
    assert IntakeStage().run(ReportIn(text=text)).text == text


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
