"""Prompt files: loaded and checked at start; a missing or undeclared variable is named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from prompts.loader import PromptError, load_prompt

pytestmark = pytest.mark.unit

VALID = {
    "id": "t", "version": 1, "variables": {"report": "原文", "place": "地点"},
    "system": "你是话务员。", "user": "<诉求>{report}</诉求>\n地点：{place}",
    "example": {"variables": {"report": "井盖没了", "place": "文化路"}, "output": {"title": "井盖缺失"}},
}


def write(tmp_path: Path, **changes: object) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({**VALID, **changes}, allow_unicode=True), encoding="utf-8")
    return path


def test_the_bundled_drafting_prompt_loads_and_renders() -> None:
    spec = load_prompt("draft_case")
    values = {name: f"<{name}>" for name in spec.variables}
    messages = spec.render(**values)
    assert [m.type for m in messages] == ["system", "human", "ai", "human"]
    assert "<诉求><report></诉求>" in str(messages[-1].content)
    assert all(f"<{name}>" in str(messages[-1].content) for name in spec.variables)


def test_render_names_the_missing_variable(tmp_path: Path) -> None:
    spec = load_prompt(write(tmp_path))
    with pytest.raises(PromptError, match=r"needs the variable.*place"):
        spec.render(report="x")


def test_render_refuses_an_undeclared_variable(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match=r"does not declare.*city"):
        load_prompt(write(tmp_path)).render(report="x", place="y", city="z")


def test_a_template_using_an_undeclared_variable_fails_at_load(tmp_path: Path) -> None:
    path = write(tmp_path, user="{report} {place} {urgency}")
    with pytest.raises(PromptError, match="uses urgency but `variables` does not declare it"):
        load_prompt(path)


def test_a_declared_variable_never_used_fails_at_load(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match="place are declared but never used"):
        load_prompt(write(tmp_path, user="{report}"))


def test_the_example_must_fill_every_variable(tmp_path: Path) -> None:
    path = write(tmp_path, example={"variables": {"report": "x"}, "output": {}})
    with pytest.raises(PromptError, match=r"example lacks the variable.*place"):
        load_prompt(path)


def test_variables_in_the_system_message_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match="system message must not use variables"):
        load_prompt(write(tmp_path, system="你是{city}的话务员"))


def test_missing_fields_and_bad_yaml_are_reported_with_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [", encoding="utf-8")
    with pytest.raises(PromptError, match="not valid YAML"):
        load_prompt(bad)
    with pytest.raises(PromptError, match="user: Field required"):
        load_prompt(_without(tmp_path, "user"))
    with pytest.raises(PromptError, match="cannot read prompt file"):
        load_prompt("no-such-prompt")


def _without(tmp_path: Path, key: str) -> Path:
    path = tmp_path / "partial.yaml"
    path.write_text(yaml.safe_dump({k: v for k, v in VALID.items() if k != key}, allow_unicode=True),
                    encoding="utf-8")
    return path
