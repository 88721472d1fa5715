"""LLM settings: which provider drafts cases, and how it is reached."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

Provider = Literal["llamacpp", "openai", "none"]


class LLMSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: Provider = "llamacpp"
    prompt: str = "draft_case"  # a name under prompts/ or a path to a prompt file
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(default=256, ge=16)
    timeout_s: float = Field(default=60.0, gt=0)
    # llamacpp: a GGUF file; without one, the bundled Qwen2.5-Coder-1.5B assembled from its packages
    model_path: str | None = None
    model_sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")
    n_ctx: int = Field(default=2048, ge=512)
    n_threads: int | None = Field(default=None, ge=1)
    # openai: any OpenAI-compatible endpoint (vLLM, Ollama, DeepSeek, DashScope, llama.cpp server)
    base_url: str | None = None
    model: str | None = None
    api_key: SecretStr | None = None
    retries: int = Field(default=2, ge=0, le=10)
    response_format: Literal["json_object", "json_schema", "none"] = "json_object"
