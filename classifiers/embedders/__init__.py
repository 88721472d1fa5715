"""Sentence embedders behind one interface; the backend is chosen by configuration."""

from classifiers.embedders.base import Embedder, EmbedderSettings
from classifiers.embedders.factory import BACKENDS, make_embedder

__all__ = ["BACKENDS", "Embedder", "EmbedderSettings", "make_embedder"]
