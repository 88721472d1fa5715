"""Settings from a config file, the environment and flags, nested LLM settings included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.settings import Settings

pytestmark = pytest.mark.unit


def test_llm_settings_come_from_file_env_and_flags_in_that_order(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"llm": {"provider": "openai", "model": "deepseek-chat", "timeout_s": 30}}))
    monkeypatch.setenv("GRIDTRIAGE_LLM_BASE_URL", "https://api.example.com/v1")
    monkeypatch.setenv("GRIDTRIAGE_LLM_API_KEY", "sk-test")
    s = Settings.load(str(config))
    assert (s.llm.provider, s.llm.model, s.llm.base_url, s.llm.timeout_s) == (
        "openai", "deepseek-chat", "https://api.example.com/v1", 30)
    assert s.llm.api_key is not None
    assert s.llm.api_key.get_secret_value() == "sk-test"
    assert "sk-test" not in repr(s)
    assert "sk-test" not in s.model_dump_json()
    flagged = Settings.load(str(config), llm={"provider": "none"})
    assert flagged.llm.provider == "none"
    assert flagged.llm.model == "deepseek-chat"


def test_an_unknown_provider_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="'llamacpp', 'openai', 'none' or 'fake'"):
        Settings.load(None, llm={"provider": "gpt"})
