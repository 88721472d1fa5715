"""Greedy sampling under a JSON grammar that checks the grammar on the chosen token first.

llama-cpp-python's sampler chain applies the grammar to the whole vocabulary (151,936 tokens for
Qwen2.5) before every pick, which costs tens of milliseconds per token. llama.cpp's own `common`
sampler instead picks the best token, asks the grammar about that one token, and rescans the whole
vocabulary only when it is refused. For greedy decoding both give the same token: the best token
the grammar allows. Imported only when the local model loads (it needs llama_cpp).
"""

from __future__ import annotations

import ctypes
from typing import Any

import llama_cpp
import numpy as np
from llama_cpp import Llama
from llama_cpp.llama_grammar import LlamaGrammar


class GrammarFirstSampler:
    """The object `Llama.generate` samples with: `sample(ctx, idx)` picks and accepts a token."""

    def __init__(self, vocab: Any, grammar: LlamaGrammar, n_vocab: int) -> None:
        self._grammar = llama_cpp.llama_sampler_init_grammar(
            vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8"))
        if not self._grammar:
            raise ValueError("llama.cpp refused the grammar")
        self._n_vocab = n_vocab
        self._one = (llama_cpp.llama_token_data * 1)()
        self._all = (llama_cpp.llama_token_data * n_vocab)()
        self._all_view = np.ctypeslib.as_array(self._all)
        self._all_view["id"] = np.arange(n_vocab, dtype=np.int32)
        self.rescans = 0  # how often the first pick was refused (for tests and profiling)

    def sample(self, ctx: Any, idx: int = -1) -> int:
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx.ctx, idx), shape=(self._n_vocab,))
        token = int(np.argmax(logits))
        if not self._allows(token, float(logits[token])):
            token = self._best_allowed(logits)
        llama_cpp.llama_sampler_accept(self._grammar, token)
        return token

    def accept(self, token: int) -> None:
        """`sample` has already accepted its token into the grammar."""

    def reset(self) -> None:
        llama_cpp.llama_sampler_reset(self._grammar)

    def close(self) -> None:
        if self._grammar:
            llama_cpp.llama_sampler_free(self._grammar)
            self._grammar = None

    def __del__(self) -> None:
        self.close()

    def _allows(self, token: int, logit: float) -> bool:
        self._one[0] = llama_cpp.llama_token_data(token, logit, 0.0)
        array = llama_cpp.llama_token_data_array(data=self._one, size=1, selected=-1, sorted=False)
        llama_cpp.llama_sampler_apply(self._grammar, ctypes.byref(array))
        return bool(np.isfinite(self._one[0].logit))

    def _best_allowed(self, logits: np.ndarray) -> int:
        self.rescans += 1
        self._all_view["logit"] = logits
        self._all_view["p"] = 0.0
        array = llama_cpp.llama_token_data_array(data=self._all, size=self._n_vocab, selected=-1, sorted=False)
        llama_cpp.llama_sampler_apply(self._grammar, ctypes.byref(array))
        return int(self._all_view["id"][int(np.argmax(self._all_view["logit"]))])


class GrammarFirstLlama(Llama):
    """`Llama` whose greedy decoding under a grammar uses `GrammarFirstSampler`; everything else
    (prompt-prefix reuse, chat templates, streaming) is llama-cpp-python's own."""

    last_sampler: GrammarFirstSampler | None = None

    def _init_sampler(self, *args: Any, **kwargs: Any) -> Any:
        grammar, temp = kwargs.get("grammar"), kwargs.get("temp", 0.8)
        if grammar is None or temp != 0.0 or kwargs.get("logits_processor") is not None \
                or kwargs.get("repeat_penalty", 1.0) != 1.0:
            return super()._init_sampler(*args, **kwargs)
        self.last_sampler = GrammarFirstSampler(self._model.vocab, grammar, self._n_vocab)
        return self.last_sampler
