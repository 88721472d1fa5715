"""A briefing written out: the template narrative, the LLM narrative and its number check (through
the real provider factory's scripted `fake` provider), Markdown, and the self-contained HTML."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.briefing import Briefer, render_html, render_markdown
from agent.briefing_narrative import LLMNarrator, make_narrator, template_text, unsupported_numbers
from agent.store import CaseStore
from core.briefings import Briefing
from core.settings import LLMSettings
from knowledge.loader import KnowledgeBase
from tests.support.briefing_seed import NOW, seed

pytestmark = pytest.mark.integration

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CaseStore]:
    store = CaseStore.open(tmp_path / "cases.db")
    seed(store)
    yield store
    store.close()


@pytest.fixture
def week(store: CaseStore, kb: KnowledgeBase) -> Briefing:
    return Briefer(store, kb).run("week", "2026-03-04", now=NOW)


def test_the_template_narrative_is_built_from_the_figures(week: Briefing) -> None:
    text = week.narrative.text
    assert week.narrative.source == "template"
    assert "2026年3月2日至2026年3月8日（周报），新增案件4件，较上期增加2件；收到诉求11件，较上期增加7件。" in text
    assert "市政设施3件" in text
    assert "超期未办结案件2件，当前环节超时3件" in text
    assert "不通过3次，不通过率42.9%" in text
    assert "紧急案件3件，其中2件尚未办结" in text
    assert unsupported_numbers(text, template_text(week.figures)) == []


def _llm(*script: str) -> LLMNarrator:
    return LLMNarrator(LLMSettings(provider="fake", script=script))


def test_an_llm_narrative_that_states_only_the_figures_is_used(week: Briefing) -> None:
    said = "2026年3月2日至2026年3月8日，新增案件4件，较上期增加2件，超期未办结案件2件，不通过率42.9%，需重点关注。"
    narrative = _llm(json.dumps({"text": said}, ensure_ascii=False)).narrate(week.figures)
    assert (narrative.source, narrative.text, narrative.fallback_reason) == ("llm", said, None)
    assert narrative.model == "fake:fake"


@pytest.mark.parametrize(("answer", "reason"), [
    ('{"text": "本周新增案件4件，较上期增加2件，满意率达到99.5%，各部门办理情况良好，请继续保持。"}', "99.5"),
    ("本周情况良好", "not a JSON narrative"),
    ('{"text": "This week there were 4 new cases and 11 reports, up 2 and 7 on last week."}', "not in Chinese"),
    ("!timeout", "fake failed: TimeoutError"),
])
def test_an_llm_narrative_with_other_numbers_falls_back_to_the_template(week: Briefing, answer: str,
                                                                       reason: str) -> None:
    narrative = _llm(answer).narrate(week.figures)
    assert narrative.source == "template"
    assert narrative.text == template_text(week.figures)
    assert narrative.fallback_reason is not None
    assert reason in narrative.fallback_reason


def test_the_llm_narrator_is_only_made_when_asked_for() -> None:
    assert make_narrator(LLMSettings(provider="llamacpp")).name == "template"  # never waits for a model unasked
    assert make_narrator(LLMSettings(provider="fake"), llm=True).name == "llm"
    with pytest.raises(ValueError, match="language model"):
        make_narrator(LLMSettings(provider="none"), llm=True)


def test_markdown_has_every_section_and_the_figures(store: CaseStore, kb: KnowledgeBase, week: Briefing) -> None:
    text = render_markdown(Briefer(store, kb), week)
    for title in ("综述", "一、受理量", "二、热点问题", "三、超期案件", "四、部门办理时效", "五、处置核查",
                  "六、群众满意度", "七、紧急案件"):
        assert f"## {title}" in text
    assert "# 郑州市12345热线周报" in text
    assert "| 市政设施 | 3 | 1 | +2 | 8 | 3 | +5 |" in text
    assert "| 未定位街道 | 0 | 0 | 0 | 1 | 0 | +1 |" in text
    assert "| 郑州市城市管理局 | 5 | 2 | 1 | 2 | 1 | 0 | 2 | 40.0% | 100.0% |" in text
    assert "| 全市 | 3 | 3.0 | 6.0 | 85.0 | 3 | 6.0 | 48.0 | 24.0 |" in text


def test_html_is_one_self_contained_file_with_the_figures_and_charts(store: CaseStore, kb: KnowledgeBase,
                                                                     week: Briefing) -> None:
    page = render_html(Briefer(store, kb), week)
    assert not EXTERNAL.search(page), "nothing is fetched from elsewhere"
    assert "<link" not in page
    assert "<script" not in page
    for figure in ("<td>40.0%</td>", "郑州市城市管理局", "42.9%"):
        assert figure in page
    charts = re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(charts) == 4
    for chart in charts:
        svg = base64.b64decode(chart).decode("utf-8")
        assert "<svg" in svg
        assert "<image" not in svg, "charts draw their text as paths, with no images inside"


def test_the_briefing_speaks_english_when_asked(store: CaseStore, kb: KnowledgeBase) -> None:
    briefer = Briefer(store, kb)
    briefing = briefer.run("week", "2026-03-04", now=NOW, lang="en")
    assert briefing.narrative.text.startswith("2026-03-02 to 2026-03-08 (weekly briefing): 4 new cases, up 2")
    assert "## 1. Volumes" in render_markdown(briefer, briefing, "en")


def test_without_a_chinese_font_the_charts_fall_back_to_ids(week: Briefing, monkeypatch: pytest.MonkeyPatch) -> None:
    import agent.briefing_plots as plots

    monkeypatch.setattr(plots, "cjk_font", lambda: None)
    charts = plots.briefing_plots(week.figures)  # warnings are errors here: no missing-glyph warning either
    assert set(charts) == {"categories", "departments", "times", "verification"}
