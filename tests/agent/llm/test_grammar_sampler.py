"""The grammar-first sampler with the real local model: the same tokens as llama-cpp-python's own
grammar sampler (which scans the whole vocabulary every step), in far less time per token."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import pytest

from agent.llm import bundled
from tests.support.llm import MISSING

pytestmark = [pytest.mark.integration, pytest.mark.llm, pytest.mark.slow]
if MISSING:
    print(f"skipping the LLM tests: {MISSING}", file=sys.stderr)
    pytestmark.append(pytest.mark.skip(reason=MISSING))

SCHEMA = {"type": "object", "properties": {
    "title": {"type": "string", "maxLength": 12},
    "lead": {"type": "string", "enum": ["D1", "D2"]},
    "priority": {"type": "string", "enum": ["urgent", "high", "normal", "low"]},
    "steps": {"type": "array", "items": {"type": "string", "maxLength": 10}, "maxItems": 2},
}, "required": ["title", "lead", "priority", "steps"]}
PROMPTS = [
    "文化路和东风路交叉口的井盖没了，晚上很危险。D1 城管局，D2 交警支队。只输出JSON。",
    "Write a ticket for: the street light at Jinshui Road is broken. D1 power company, D2 police. JSON only.",
]


def complete(llama: Any, prompt: str) -> tuple[str, float, int]:
    started = time.perf_counter()
    out = llama.create_chat_completion(messages=[{"role": "user", "content": prompt}], temperature=0.0,
                                       max_tokens=80, response_format={"type": "json_object", "schema": SCHEMA})
    return out["choices"][0]["message"]["content"], time.perf_counter() - started, out["usage"]["completion_tokens"]


def test_greedy_drafts_are_token_for_token_the_stock_samplers_and_valid() -> None:
    from llama_cpp import Llama

    from agent.llm.grammar_sampler import GrammarFirstLlama

    path = str(bundled.bundled_model_path())
    fast = GrammarFirstLlama(model_path=path, n_ctx=512, n_threads=2, verbose=False)
    stock = Llama(model_path=path, n_ctx=512, n_threads=2, verbose=False)
    for prompt in PROMPTS:
        ours, ours_s, tokens = complete(fast, prompt)
        theirs, theirs_s, _ = complete(stock, prompt)
        assert ours == theirs
        data = json.loads(ours)
        assert data["lead"] in {"D1", "D2"}
        assert len(data["title"]) <= 12
        assert fast.last_sampler is not None, "the grammar-first sampler did the sampling"
        print(f"{tokens} tokens: grammar-first {ours_s:.2f} s, stock {theirs_s:.2f} s, "
              f"{fast.last_sampler.rescans} rescans")
