"""What every component that asks a chat model shares: the provider its LLM settings name, made on
first use (so constructing the component loads nothing), the record of each call the audit log
keeps, and the way an answer is asked for: checked, asked again once with what was wrong, and
otherwise given up with the reason (the caller's template then stands)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from core.settings import LLMSettings
from core.types import LLMCall

if TYPE_CHECKING:  # the chat-model libraries load with the first provider, not with this module
    from langchain_core.messages import BaseMessage

    from agent.llm.providers import LLMProvider
    from prompts.loader import PromptSpec


T = TypeVar("T")


@dataclass(frozen=True)
class Checked(Generic[T]):
    """One answer, checked: the value when it may be used, what is wrong with it (said so that the
    model can fix it), and more fields for its call record (the parsed JSON, the rejections)."""

    value: T | None
    problems: list[str]
    record: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Asked(Generic[T]):
    value: T | None  # None: the model failed, or was wrong twice
    calls: list[LLMCall]
    failure: str | None = None  # why there is no value


class ChatModelUser:
    settings: LLMSettings
    prompt: PromptSpec
    _provider: LLMProvider | None = None

    @property
    def provider(self) -> LLMProvider:
        if self._provider is None:
            from agent.llm.providers import make_provider

            provider = make_provider(self.settings)
            if provider is None:
                raise ValueError(f"{type(self).__name__} needs an LLM provider other than `none`")
            self._provider = provider
        return self._provider

    def warm_up(self) -> None:
        self.provider.warm_up()

    def llm_call(self, attempt: int, messages: list[BaseMessage], started: float, **fields: Any) -> LLMCall:
        """One call to the model as the audit log keeps it; `started`: its `time.perf_counter()`."""
        provider = self.provider
        return LLMCall(provider=provider.name, model=provider.model_name, prompt_id=self.prompt.id,
                       prompt_version=self.prompt.version, attempt=attempt,
                       messages=tuple({"role": m.type, "content": str(m.content)} for m in messages),
                       latency_ms=round((time.perf_counter() - started) * 1000, 1), **fields)

    def ask_checked(self, messages: list[BaseMessage], schema: dict[str, Any] | None,
                    check: Callable[[str], Checked[T]], correction: Callable[[list[str]], str]) -> Asked[T]:
        """Ask, check the answer, and ask once more with `correction(problems)` when it is wrong.
        A provider that fails (timeout, refused connection, server error) ends it at once."""
        from langchain_core.messages import AIMessage, HumanMessage

        provider = self.provider
        response_format = provider.response_format(schema) if schema is not None else None
        kwargs: dict[str, Any] = {"response_format": response_format} if response_format else {}
        calls: list[LLMCall] = []
        problems: list[str] = []
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                answer = provider.chat.invoke(messages, **kwargs)
            except Exception as exc:  # every failure of the provider ends the same way
                calls.append(self.llm_call(attempt, messages, started, error=f"{type(exc).__name__}: {exc}"))
                return Asked(None, calls, f"{provider.name} failed: {type(exc).__name__}: {exc}")
            raw = str(answer.content)
            checked = check(raw)
            usage: dict[str, Any] = dict(getattr(answer, "usage_metadata", None) or {})
            calls.append(self.llm_call(attempt, messages, started, raw_output=raw,
                                       error="; ".join(checked.problems) or None,
                                       prompt_tokens=usage.get("input_tokens"),
                                       completion_tokens=usage.get("output_tokens"), **checked.record))
            if checked.value is not None and not checked.problems:
                return Asked(checked.value, calls)
            problems = checked.problems
            messages = [*messages, AIMessage(raw), HumanMessage(correction(problems))]
        return Asked(None, calls, f"{provider.name} output invalid twice: {'; '.join(problems)}")
