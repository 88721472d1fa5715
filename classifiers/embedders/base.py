"""The embedder contract: a backend embeds one batch; the base class batches, normalises and caches."""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.component import LoadOnce
from core.settings import EmbedderSettings


def default_cache_dir() -> Path:
    root = os.environ.get("GRIDTRIAGE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "gridtriage"
    )
    return Path(root)


class Embedder(LoadOnce, ABC):
    """Subclasses implement `_load` and `_embed_batch`; nothing heavy happens before `warm_up()`."""

    name: str = "embedder"

    def __init__(self, settings: EmbedderSettings) -> None:
        super().__init__()
        self.settings = settings

    @property
    def identity(self) -> str:
        """Names the model exactly, for cache keys and evaluation reports."""
        return f"{self.name}:{self.settings.model_path or 'bundled'}"

    def limit_threads(self, threads: int) -> None:
        """Use at most this many compute threads from now on (worker processes share the cores)."""
        self.settings = self.settings.model_copy(update={"threads": threads})

    @abstractmethod
    def _load(self) -> None: ...

    @abstractmethod
    def _embed_batch(self, texts: list[str]) -> np.ndarray: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        size = self.settings.batch_size
        parts = [self._embed_batch(list(texts[i : i + size])) for i in range(0, len(texts), size)]
        vectors = np.ascontiguousarray(np.vstack(parts), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        normalised: np.ndarray = vectors / np.maximum(norms, 1e-12)
        return normalised

    def embed_one(self, text: str) -> np.ndarray:
        vector: np.ndarray = self.embed([text])[0]
        return vector

    def embed_cached(self, texts: Sequence[str], cache_dir: Path | None = None) -> np.ndarray:
        """Embed a fixed corpus (knowledge-base texts) once and reuse the vectors on later starts."""
        digest = hashlib.sha256(self.identity.encode())
        for text in texts:
            digest.update(text.encode())
            digest.update(b"\0")
        path = (cache_dir or default_cache_dir()) / "embeddings" / f"{digest.hexdigest()[:32]}.npy"
        if path.exists():
            cached: np.ndarray = np.load(path)
            if cached.shape[0] == len(texts):
                return cached
        vectors = self.embed(texts)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(tmp, vectors)
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only cache only costs start-up time
        return vectors

    @property
    @abstractmethod
    def dimension(self) -> int: ...
