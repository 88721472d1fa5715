"""A LangChain chat model over llama-cpp-python, in process. One `Llama` per model file, guarded by
a lock (a context is not thread-safe). The fixed head of every prompt stays evaluated between
calls, because llama.cpp reuses the longest common token prefix of consecutive prompts."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


class GenerationTimeout(TimeoutError):
    pass


class LlamaCppChatModel(BaseChatModel):
    model_path: str
    model_name: str
    n_ctx: int = 2048
    n_threads: int | None = None
    max_tokens: int = 256
    temperature: float = 0.0
    timeout_s: float = 60.0

    _llama: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "n_ctx": self.n_ctx}

    def load(self) -> None:
        if self._llama is not None:
            return
        try:
            from agent.llm.grammar_sampler import GrammarFirstLlama as Llama
        except ImportError as exc:
            raise ImportError("the llamacpp provider needs llama-cpp-python: pip install "
                              "llama-cpp-python==0.3.36 (scripts/setup does), or use --llm none") from exc
        threads = self.n_threads or os.cpu_count() or 2
        self._llama = Llama(model_path=self.model_path, n_ctx=self.n_ctx, n_threads=threads,
                            n_threads_batch=threads, n_batch=512, verbose=False)

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        self.load()
        chat = [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]
        limit = float(kwargs.get("timeout_s", self.timeout_s))
        deadline = time.monotonic() + limit
        # Streamed, so the deadline is checked after every token: llama.cpp's callbacks swallow
        # exceptions, so a logits processor cannot stop it.
        with self._lock:
            stream = self._llama.create_chat_completion(
                messages=chat, stop=stop, temperature=kwargs.get("temperature", self.temperature),
                max_tokens=kwargs.get("max_tokens", self.max_tokens),
                response_format=kwargs.get("response_format"), stream=True,
            )
            parts: list[str] = []
            finish_reason = None
            try:
                for chunk in stream:
                    choice = chunk["choices"][0]
                    parts.append(choice["delta"].get("content") or "")
                    finish_reason = choice.get("finish_reason") or finish_reason
                    if time.monotonic() > deadline:
                        raise GenerationTimeout(f"generation passed its {limit:g} s limit")
            finally:
                stream.close()
            content = "".join(parts)
            output_tokens = len(self._llama.tokenize(content.encode(), add_bos=False)) if content else 0
            input_tokens = max(self._llama.n_tokens - output_tokens, 0)
        message = AIMessage(
            content=content,
            usage_metadata={"input_tokens": input_tokens, "output_tokens": output_tokens,
                            "total_tokens": input_tokens + output_tokens},
            response_metadata={"model_name": self.model_name, "finish_reason": finish_reason},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])
