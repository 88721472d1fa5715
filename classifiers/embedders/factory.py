"""Builds the configured embedder backend."""

from __future__ import annotations

from classifiers.embedders.backends import E5Embedder, SentenceTransformerEmbedder, USEEmbedder
from classifiers.embedders.base import Embedder
from core.settings import EmbedderSettings

BACKENDS: dict[str, type[Embedder]] = {
    "use": USEEmbedder,
    "e5": E5Embedder,
    "sentence-transformers": SentenceTransformerEmbedder,
}


def make_embedder(settings: EmbedderSettings) -> Embedder:
    try:
        backend = BACKENDS[settings.backend]
    except KeyError:
        raise ValueError(
            f"unknown embedder backend {settings.backend!r}; choose one of {', '.join(BACKENDS)}"
        ) from None
    return backend(settings)
