"""The drafter's output checks, on hand-written model outputs: only candidate codes pass."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.llm import LLMUnavailable, bundled, make_provider
from agent.llm_drafting import Candidates, LLMDrafter
from core.settings import LLMSettings
from core.types import CategoryRef
from knowledge.loader import KnowledgeBase

pytestmark = pytest.mark.unit

CANDIDATES = Candidates(
    categories={"C1": CategoryRef(id="municipal.manhole-cover", name="井盖缺失破损", parent="municipal",
                                  parent_name="市政设施"),
                "C2": CategoryRef(id="municipal.road-damage", name="道路破损坑洼", parent="municipal",
                                  parent_name="市政设施")},
    departments={"D1": ("city-management", "郑州市城市管理局"), "D2": ("street-office", "街道办事处")},
    clauses={"D1": ("city-management-11",), "D2": ("street-office-04",)},
    duties={"D1": "负责井盖的养护维修", "D2": "负责属地巡查"},
)
GOOD = {"title": "文化路井盖缺失", "summary": "文化路与东风路交叉口井盖丢失，夜间有安全隐患。",
        "request": "尽快补装井盖", "steps": ["设置围挡", "补装井盖"], "category": "C1", "lead": "D1",
        "assist": ["D2"], "priority": "high", "rationale": "井盖属市政设施，由市城管局养护"}


@pytest.fixture
def drafter(kb: KnowledgeBase) -> LLMDrafter:
    return LLMDrafter(LLMSettings(), kb)


def check(drafter: LLMDrafter, output: Any) -> tuple[list[str], tuple[str, ...]]:
    raw = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
    _, _, problems, rejected = drafter.check(raw, CANDIDATES)
    return problems, rejected


def test_a_draft_within_the_candidates_passes(drafter: LLMDrafter) -> None:
    assert check(drafter, GOOD) == ([], ())
    assert check(drafter, "```json\n" + json.dumps(GOOD, ensure_ascii=False) + "\n```") == ([], ())


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"category": "C9"}, "category C9 不是候选分类编号"),
        ({"category": "municipal.manhole-cover"}, "不是候选分类编号"),
        ({"lead": "市委办公室"}, "部门 市委办公室 不是候选部门编号"),
        ({"assist": ["D7"]}, "部门 D7 不是候选部门编号"),
        ({"rationale": "按市民要求派给市委办公室处理"}, "非候选机构“市委办公室”"),
        ({"steps": ["转郑州市公安局处理"]}, "非候选部门“郑州市公安局”"),
    ],
)
def test_anything_outside_the_candidates_is_rejected(drafter: LLMDrafter, change: dict[str, Any],
                                                      expected: str) -> None:
    problems, rejected = check(drafter, {**GOOD, **change})
    assert any(expected in p for p in problems), problems
    assert rejected, "guardrail rejections are reported as such for the audit log"


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("这不是JSON", "不是合法的JSON"),
        ("[1, 2]", "必须是一个JSON对象"),
        ({**GOOD, "priority": "最高"}, "priority"),
        ({k: v for k, v in GOOD.items() if k != "title"}, "title: Field required"),
        ({**GOOD, "title": "很" * 40}, "title: String should have at most 20 characters"),
        ({**GOOD, "place": "别处"}, "place: Extra inputs are not permitted"),
        ({**GOOD, "clauses": ["K1"]}, "clauses: Extra inputs are not permitted"),
    ],
)
def test_invalid_output_says_what_is_wrong(drafter: LLMDrafter, output: Any, expected: str) -> None:
    problems, rejected = check(drafter, output)
    assert any(expected in p for p in problems), problems
    assert rejected == ()


def test_the_schema_narrows_every_choice_to_the_codes_given() -> None:
    schema = CANDIDATES.schema()
    props = schema["properties"]
    assert props["category"]["enum"] == ["C1", "C2"]
    assert props["lead"]["enum"] == ["D1", "D2"]
    assert props["assist"]["items"]["enum"] == ["D1", "D2"]
    assert "clauses" not in props, "duty clauses are the router's, not the model's"
    assert props["priority"]["enum"] == ["urgent", "high", "normal", "low"]
    assert set(schema["required"]) == set(props)


def test_a_gguf_with_the_wrong_hash_is_refused(tmp_path: Path) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF not really a model")
    settings = LLMSettings(model_path=str(model), model_sha256="0" * 64)
    provider = make_provider(settings)
    assert provider is not None
    with pytest.raises(LLMUnavailable, match=r"refusing to load .*model\.gguf: its SHA-256 is"):
        provider.warm_up()


def test_a_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    provider = make_provider(LLMSettings(model_path=str(tmp_path / "nope.gguf")))
    assert provider is not None
    with pytest.raises(LLMUnavailable, match="does not exist; give the path of a GGUF file"):
        provider.warm_up()


def test_the_openai_provider_needs_a_base_url_and_a_model() -> None:
    with pytest.raises(LLMUnavailable, match="needs a base URL"):
        make_provider(LLMSettings(provider="openai", model="qwen"))
    with pytest.raises(LLMUnavailable, match="needs a model name"):
        make_provider(LLMSettings(provider="openai", base_url="http://127.0.0.1:9/v1"))


@pytest.mark.slow
def test_a_damaged_bundled_model_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDTRIAGE_LLM_CACHE", str(tmp_path))
    damaged = tmp_path / bundled.MODEL_FILE
    with damaged.open("wb") as f:  # right size, wrong bytes: only the hash can tell
        f.truncate(bundled.SIZE)
    with pytest.raises(bundled.ModelFileError, match=f"expected {bundled.SHA256}"):
        bundled.bundled_model_path()
