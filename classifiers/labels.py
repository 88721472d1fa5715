"""A trained model read on its own label set: the label of each text and its probability, for models
whose labels are not the knowledge base's categories (so nothing is routed from them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifiers.embedders import Embedder
from classifiers.supervised import SupervisedModel
from classifiers.text import Tokenizer, normalize
from core.component import LoadOnce
from core.messages import lookup


def foreign_labels(model_dir: str | Path, leaves: Sequence[str]) -> list[str]:
    """The labels of the model in `model_dir` that are not among `leaves` (empty: a taxonomy model)."""
    return sorted(set(SupervisedModel.load(model_dir).labels) - set(leaves))


@dataclass(frozen=True)
class LabelPrediction:
    label: str
    probability: float
    ranked: tuple[tuple[str, float], ...]  # every label, most probable first


class LabelModel(LoadOnce):
    def __init__(self, model_dir: str | Path, embedder: Embedder, tokenizer: Tokenizer,
                 text_filter: Callable[[str], str] | None = None) -> None:
        """`text_filter` is the one the model was trained with (the pipeline's place and greeting
        filter, as `gridtriage train` applies it)."""
        super().__init__()
        self.model_dir, self.embedder, self.tokenizer = Path(model_dir), embedder, tokenizer
        self.text_filter = text_filter or (lambda text: text)
        self.model: SupervisedModel | None = None

    def _load(self) -> None:
        model = SupervisedModel.load(self.model_dir)
        if model.embedder_identity != self.embedder.identity:
            raise ValueError(lookup("model.other_embedder", dir=str(self.model_dir),
                                    trained=model.embedder_identity, current=self.embedder.identity))
        self.model = model

    def prepare(self, text: str, title: str | None = None) -> str:
        """A report as the model saw reports in training: title and text, normalised and filtered."""
        return self.text_filter(normalize(f"{title or ''} {text}"))

    def predict(self, texts: Sequence[str]) -> list[LabelPrediction]:
        """Labels of prepared texts (see `prepare`)."""
        self.warm_up()
        assert self.model is not None
        if not texts:
            return []
        window = self.model.embed_max_chars
        vectors = self.embedder.embed([t[:window] for t in texts])
        probs = self.model.predict_proba(list(texts), vectors, self.tokenizer)
        out = []
        for row in probs:
            order = np.argsort(-row)
            ranked = tuple((self.model.labels[j], round(float(row[j]), 4)) for j in order)
            out.append(LabelPrediction(label=ranked[0][0], probability=ranked[0][1], ranked=ranked))
        return out
