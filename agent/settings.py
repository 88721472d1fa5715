"""Settings: plain, JSON-serialisable, built from defaults, a config file, the environment and flags."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.dedup import DedupSettings
from agent.llm.settings import LLMSettings
from agent.router import RouterSettings
from classifiers.embedders import EmbedderSettings
from classifiers.photos import PhotoSettings
from classifiers.urgency import UrgencySettings
from classifiers.vision import VisionSettings
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
    max_upload_bytes: int = Field(default=62_000_000, ge=1024)  # multipart bodies: up to 6 photos of 10 MB


class WebSettings(BaseModel):
    """The web pages' sessions. Without `session_secret` (or GRIDTRIAGE_SESSION_SECRET) one is
    generated at first use and kept in the case database."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    session_secret: str | None = Field(default=None, min_length=32)
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)  # a login lasts one working day
    # auto: cookies are `Secure` when the request came over https (directly, or X-Forwarded-Proto
    # from a proxy uvicorn trusts); always: behind a TLS proxy that does not say so.
    secure_cookies: Literal["auto", "always"] = "auto"
    login_link_minutes: float = Field(default=15.0, gt=0, le=24 * 60)


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
    urgency: UrgencySettings = UrgencySettings()
    llm: LLMSettings = LLMSettings()
    api: ApiSettings = ApiSettings()
    photos: PhotoSettings = PhotoSettings()
    web: WebSettings = WebSettings()
    vision: VisionSettings = Field(default_factory=VisionSettings)  # reads its key from the env when built
    photos_dir: str | None = None  # default: `photos/` beside a SQLite database, else under ~/.local/share

    def photo_store_dir(self) -> Path:
        """Where photo files go: `photos_dir`, else beside the SQLite file, else the user's data folder."""
        if self.photos_dir:
            return Path(self.photos_dir).expanduser()
        if "://" not in self.db:
            return Path(self.db).expanduser().parent / "photos"
        if self.db.startswith("sqlite:///") and self.db != "sqlite:///:memory:":
            return Path(self.db.removeprefix("sqlite:///")).expanduser().parent / "photos"
        return Path(default_db_path()).parent / "photos"

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
            "photos_dir": os.environ.get("GRIDTRIAGE_PHOTOS_DIR"),
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
        vision_env = {
            "backend": os.environ.get("GRIDTRIAGE_VISION"),
            "model_dir": os.environ.get("GRIDTRIAGE_VISION_MODEL_DIR"),
            "base_url": os.environ.get("GRIDTRIAGE_VISION_BASE_URL"),
            "model": os.environ.get("GRIDTRIAGE_VISION_MODEL"),
        }
        if any(vision_env.values()):
            data["vision"] = {**data.get("vision", {}), **{k: v for k, v in vision_env.items() if v}}
        if os.environ.get("GRIDTRIAGE_EMBEDDER"):
            data["embedder"] = {**data.get("embedder", {}), "backend": os.environ["GRIDTRIAGE_EMBEDDER"]}
        if os.environ.get("GRIDTRIAGE_SESSION_SECRET"):
            data["web"] = {**data.get("web", {}), "session_secret": os.environ["GRIDTRIAGE_SESSION_SECRET"]}
        for key, value in overrides.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}  # a flag changes one nested setting, not all of them
            elif value is not None:
                data[key] = value
        return cls.model_validate(data)
