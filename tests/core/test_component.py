"""The component contract: nothing loads at construction; `warm_up` loads once, whichever of several
threads asks first, and a load that fails is tried again."""

from __future__ import annotations

import threading
import time

import pytest

from agent.models import Models
from core.component import Component, LoadOnce
from core.settings import Settings
from knowledge.loader import load_kb

pytestmark = pytest.mark.unit


class Counting(LoadOnce):
    def __init__(self, failures: int = 0) -> None:
        super().__init__()
        self.loads, self.failures = 0, failures

    def _load(self) -> None:
        self.loads += 1
        time.sleep(0.01)  # long enough for the other threads to arrive while this one loads
        if self.loads <= self.failures:
            raise OSError("model file missing")


def test_warm_up_from_many_threads_loads_once() -> None:
    component = Counting()
    threads = [threading.Thread(target=component.warm_up) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    component.warm_up()
    assert component.loads == 1
    assert component.loaded


def test_a_failed_load_is_tried_again() -> None:
    component = Counting(failures=1)
    with pytest.raises(OSError, match="model file missing"):
        component.warm_up()
    assert not component.loaded
    component.warm_up()
    assert component.loads == 2
    assert component.loaded


def test_building_the_models_loads_nothing() -> None:
    settings = Settings()
    models = Models.build(settings, load_kb(settings.kb_dir))
    components = models.text_components()
    assert list(components) == ["embedder", "tokenizer", "places", "classifier", "urgency", "router"]
    for name, component in components.items():
        assert isinstance(component, Component), name
        if isinstance(component, LoadOnce):
            assert not component.loaded, f"{name} loaded at construction"
    ocr = models.photos.reader.ocr
    assert isinstance(models.photos, Component)
    assert ocr is not None
    assert not ocr.loaded
