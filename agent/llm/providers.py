"""Providers: a LangChain chat model plus how to ask it for JSON that fits a schema.
`make_provider` is the one factory; it keeps one loaded model per setting in the process."""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from agent.llm import bundled
from agent.llm.llamacpp_chat import LlamaCppChatModel
from core.settings import LLMSettings


class LLMUnavailable(ValueError):
    """The configured provider cannot be used; the message says how to fix the configuration."""


class LLMProvider(ABC):
    name: str

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings

    @property
    @abstractmethod
    def model_name(self) -> str: ...

    @property
    @abstractmethod
    def chat(self) -> BaseChatModel: ...

    @abstractmethod
    def response_format(self, schema: dict[str, Any]) -> dict[str, Any] | None:
        """The `response_format` argument that makes this provider answer with JSON fitting `schema`."""

    def warm_up(self) -> None:  # noqa: B027 - remote providers have nothing to load
        """Load the model, if it is local."""


class LlamaCppProvider(LLMProvider):
    name = "llamacpp"

    def __init__(self, settings: LLMSettings) -> None:
        super().__init__(settings)
        self._chat: LlamaCppChatModel | None = None
        self.load_ms: float | None = None

    @property
    def model_name(self) -> str:
        return Path(self.settings.model_path).stem if self.settings.model_path else bundled.MODEL_NAME

    @property
    def chat(self) -> LlamaCppChatModel:
        self.warm_up()
        assert self._chat is not None
        return self._chat

    def warm_up(self) -> None:
        if self._chat is not None:
            return
        started = time.perf_counter()
        s = self.settings
        try:
            if s.model_path:
                path = Path(s.model_path).expanduser()
                if not path.is_file():
                    raise LLMUnavailable(f"llm.model_path {path} does not exist; give the path of a GGUF file")
                if s.model_sha256:
                    bundled.verify(path, s.model_sha256)
            else:
                path = bundled.bundled_model_path()
        except bundled.ModelFileError as exc:
            raise LLMUnavailable(str(exc)) from exc
        chat = LlamaCppChatModel(model_path=str(path), model_name=self.model_name, n_ctx=s.n_ctx,
                                 n_threads=s.n_threads, max_tokens=s.max_tokens, temperature=s.temperature,
                                 timeout_s=s.timeout_s)
        try:
            chat.load()
        except ImportError as exc:
            raise LLMUnavailable(str(exc)) from exc
        except ValueError as exc:  # llama.cpp could not read the file
            raise LLMUnavailable(f"llama.cpp cannot load {path}: {exc}; is it a GGUF model?") from exc
        self._chat = chat
        self.load_ms = (time.perf_counter() - started) * 1000

    def response_format(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {"type": "json_object", "schema": schema}  # compiled to a grammar by llama.cpp


class OpenAICompatibleProvider(LLMProvider):
    name = "openai"

    def __init__(self, settings: LLMSettings) -> None:
        super().__init__(settings)
        if not settings.base_url:
            raise LLMUnavailable("the openai provider needs a base URL: set llm.base_url in the config file "
                                 "or GRIDTRIAGE_LLM_BASE_URL (e.g. http://127.0.0.1:8000/v1)")
        if not settings.model:
            raise LLMUnavailable("the openai provider needs a model name: set llm.model in the config file "
                                 "or GRIDTRIAGE_LLM_MODEL")
        try:
            from langchain_openai.chat_models.base import BaseChatOpenAI
        except ImportError as exc:
            raise LLMUnavailable("the openai provider needs langchain-openai: pip install "
                                 "langchain-openai==1.4.0") from exc
        key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
        # The base class sends `max_tokens`, which every OpenAI-compatible server reads; ChatOpenAI
        # renames it to `max_completion_tokens`, which llama.cpp's server and DeepSeek ignore.
        # Retries back off exponentially (the openai client's own policy).
        self._chat = BaseChatOpenAI(model=settings.model, base_url=settings.base_url, api_key=key,
                                    temperature=settings.temperature, max_tokens=settings.max_tokens,
                                    timeout=settings.timeout_s, max_retries=settings.retries)

    @property
    def model_name(self) -> str:
        assert self.settings.model is not None
        return self.settings.model

    @property
    def chat(self) -> BaseChatModel:
        return self._chat

    def response_format(self, schema: dict[str, Any]) -> dict[str, Any] | None:
        kind = self.settings.response_format
        if kind == "json_schema":
            return {"type": "json_schema", "json_schema": {"name": "case_draft", "schema": schema}}
        if kind == "json_object":
            return {"type": "json_object"}
        return None


class FakeChatModel(BaseChatModel):
    """A chat model that answers from a script, in order (the last reply repeats), and keeps the
    messages it was sent. "!timeout" and "!unreachable" fail that call like a real provider would;
    "!wait N reply" answers `reply` after N seconds, like a slow model."""

    script: tuple[str, ...]
    model_name: str = "fake"
    sent: list[list[BaseMessage]] = Field(default_factory=list)
    lock: Any = Field(default_factory=threading.Lock, exclude=True)

    @property
    def _llm_type(self) -> str:
        return "fake"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: Any = None, **kwargs: Any) -> ChatResult:
        with self.lock:
            self.sent.append(list(messages))
            reply = self.script[min(len(self.sent), len(self.script)) - 1] if self.script else ""
        if reply.startswith("!wait "):
            _, seconds, reply = reply.split(" ", 2)
            time.sleep(float(seconds))
        if reply == "!timeout":
            raise TimeoutError("the fake provider timed out")
        if reply == "!unreachable":
            raise ConnectionError("the fake provider is unreachable")
        return ChatResult(generations=[ChatGeneration(message=AIMessage(reply))])


class FakeProvider(LLMProvider):
    """Answers from `llm.script`: the drafter's retries, fallbacks and guardrails tested without a model."""

    name = "fake"

    def __init__(self, settings: LLMSettings) -> None:
        super().__init__(settings)
        self._chat = FakeChatModel(script=settings.script)

    @property
    def model_name(self) -> str:
        return "fake"

    @property
    def chat(self) -> FakeChatModel:
        return self._chat

    def response_format(self, schema: dict[str, Any]) -> dict[str, Any] | None:
        return None


_PROVIDERS: dict[LLMSettings, LLMProvider] = {}
_LOCK = threading.Lock()


def make_provider(settings: LLMSettings) -> LLMProvider | None:
    """The provider for these settings (None for `none`), shared within the process so a local
    model is loaded once however many pipelines use it."""
    if settings.provider == "none":
        return None
    if settings.provider == "fake":
        return FakeProvider(settings)  # each drafter reads its own script from the start
    with _LOCK:
        provider = _PROVIDERS.get(settings)
        if provider is None:
            provider = (LlamaCppProvider(settings) if settings.provider == "llamacpp"
                        else OpenAICompatibleProvider(settings))
            _PROVIDERS[settings] = provider
        return provider
