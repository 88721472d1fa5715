"""Settings: plain, JSON-serialisable, built from defaults, a config file, the environment and flags."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent.dedup import DedupSettings
from agent.llm.settings import LLMSettings
from agent.router import RouterSettings
from classifiers.embedders import EmbedderSettings
from knowledge.loader import DEFAULT_KB


def default_db_path() -> str:
    root = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return str(Path(root) / "gridtriage" / "cases.db")


class ApiSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    rate_limit_per_minute: int = Field(default=1200, ge=1)  # per API key
    max_body_bytes: int = Field(default=1_000_000, ge=1024)


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kb_dir: str = str(DEFAULT_KB)
    db: str = Field(default_factory=default_db_path)
    mode: str | None = None
    model_dir: str | None = None  # a classifier trained by `gridtriage train` on this KB's categories
    max_report_chars: int = 5000
    embed_max_chars: int = 256  # the dense vector reads the head of a report; lexical features read all
    embedder: EmbedderSettings = EmbedderSettings()
    dedup: DedupSettings = DedupSettings()
    router: RouterSettings = RouterSettings()
    llm: LLMSettings = LLMSettings()
    api: ApiSettings = ApiSettings()

    @classmethod
    def load(cls, config_file: str | None = None, **overrides: Any) -> Settings:
        """Defaults < JSON config file (`--config` or GRIDTRIAGE_CONFIG) < GRIDTRIAGE_* env < flags."""
        data: dict[str, Any] = {}
        path = config_file or os.environ.get("GRIDTRIAGE_CONFIG")
        if path:
            try:
                data = json.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise ValueError(f"cannot read config file {path}: {exc}") from exc
        env = {
            "kb_dir": os.environ.get("GRIDTRIAGE_KB"),
            "db": os.environ.get("GRIDTRIAGE_DB"),
            "mode": os.environ.get("GRIDTRIAGE_MODE"),
            "model_dir": os.environ.get("GRIDTRIAGE_MODEL"),
        }
        data.update({k: v for k, v in env.items() if v})
        llm_env = {
            "provider": os.environ.get("GRIDTRIAGE_LLM"),
            "model_path": os.environ.get("GRIDTRIAGE_LLM_MODEL_PATH"),
            "base_url": os.environ.get("GRIDTRIAGE_LLM_BASE_URL"),
            "model": os.environ.get("GRIDTRIAGE_LLM_MODEL"),
            "api_key": os.environ.get("GRIDTRIAGE_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY"),
            "timeout_s": os.environ.get("GRIDTRIAGE_LLM_TIMEOUT"),
        }
        if any(llm_env.values()):
            data["llm"] = {**data.get("llm", {}), **{k: v for k, v in llm_env.items() if v}}
        if os.environ.get("GRIDTRIAGE_EMBEDDER"):
            data["embedder"] = {**data.get("embedder", {}), "backend": os.environ["GRIDTRIAGE_EMBEDDER"]}
        for key, value in overrides.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}  # a flag changes one nested setting, not all of them
            elif value is not None:
                data[key] = value
        return cls.model_validate(data)
