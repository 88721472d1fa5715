"""Sentence embedders behind one interface; the backend is chosen by configuration."""

from classifiers.embedders.base import Embedder
from classifiers.embedders.factory import BACKENDS, make_embedder
from core.settings import EmbedderSettings

__all__ = ["BACKENDS", "Embedder", "EmbedderSettings", "make_embedder"]
