"""A model of another label set read on its own: labels and probabilities, and the checks on loading."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

from classifiers.embedders import Embedder
from classifiers.labels import LabelModel, foreign_labels
from classifiers.supervised import SupervisedModel
from classifiers.text import Tokenizer
from core.settings import EmbedderSettings

pytestmark = pytest.mark.unit

TEXTS = {"roads": ["马路上有个大坑", "路面坑坑洼洼", "路上的坑太多", "道路坑洼破损"],
         "noise": ["晚上太吵了", "噪音太大吵死了", "音响吵得睡不着", "施工噪音很吵"]}


class CharacterEmbedder(Embedder):
    """Characters hashed into 16 buckets: enough to tell the toy topics apart, instant to load."""

    name = "characters"

    def _load(self) -> None:
        pass

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            for ch in text:
                out[i, zlib.crc32(ch.encode()) % self.dimension] += 1
        return out

    @property
    def dimension(self) -> int:
        return 16


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    texts = [t for group in TEXTS.values() for t in group]
    labels = [label for label, group in TEXTS.items() for _ in group]
    model = SupervisedModel.train(texts, labels, CharacterEmbedder(EmbedderSettings()), Tokenizer())
    return model.save(tmp_path_factory.mktemp("model"))


def test_the_labels_outside_the_taxonomy_are_named(model_dir: Path) -> None:
    assert foreign_labels(model_dir, ["roads", "water"]) == ["noise"]
    assert foreign_labels(model_dir, ["roads", "noise", "water"]) == []


def test_each_text_gets_the_model_label_and_its_probability(model_dir: Path) -> None:
    labeller = LabelModel(model_dir, CharacterEmbedder(EmbedderSettings()), Tokenizer())
    noisy, road = labeller.predict([labeller.prepare("楼下太吵，噪音大", "噪音"), labeller.prepare("路上好多坑")])
    assert (noisy.label, road.label) == ("noise", "roads")
    assert noisy.probability == noisy.ranked[0][1] > 0.5
    assert [label for label, _ in noisy.ranked] == ["noise", "roads"]
    assert sum(p for _, p in road.ranked) == pytest.approx(1, abs=1e-3)
    assert labeller.predict([]) == []


def test_a_model_trained_with_another_embedder_is_refused(model_dir: Path) -> None:
    other = CharacterEmbedder(EmbedderSettings(model_path="elsewhere"))
    with pytest.raises(ValueError, match="characters:bundled"):
        LabelModel(model_dir, other, Tokenizer()).warm_up()
