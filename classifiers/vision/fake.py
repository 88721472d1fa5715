"""A vision backend that answers from `vision.script`, one verdict per photo in order (the last one
repeats): the pipeline's photo paths tested without a model or a network. It keeps what it was shown."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from classifiers.vision.base import SceneAnswer, VisionBackend, VisionUnavailable, VisualCandidate
from core.settings import VisionSettings, scripted_scene

if TYPE_CHECKING:
    from PIL.Image import Image


class FakeVisionBackend(VisionBackend):
    name = "fake"

    def __init__(self, settings: VisionSettings) -> None:
        super().__init__(settings)
        if not settings.script:
            raise VisionUnavailable('the fake backend needs vision.script: one verdict per photo, e.g. '
                                    '("municipal.manhole-cover 0.9", "none", "!timeout")')
        self._verdicts = tuple(scripted_scene(entry) for entry in settings.script)
        self._lock = threading.Lock()
        self.seen: list[tuple[tuple[int, int], tuple[str, ...]]] = []  # each photo's size and the ids offered

    def _classify(self, image: Image, candidates: tuple[VisualCandidate, ...]) -> SceneAnswer:
        with self._lock:
            self.seen.append((image.size, tuple(c.id for c in candidates)))
            verdict = self._verdicts[min(len(self.seen), len(self._verdicts)) - 1]
        if verdict.failure == "!timeout":
            raise TimeoutError("the fake vision backend timed out")
        if verdict.failure == "!unreachable":
            raise ConnectionError("the fake vision backend is unreachable")
        return SceneAnswer(category_id=verdict.category_id, score=verdict.score)
