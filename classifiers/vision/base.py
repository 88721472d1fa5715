"""The vision-backend contract: a backend picks one of the candidate categories for one photo; the base
class times it, prepares the image, checks the answer against the candidates, and turns any failure
into a SceneGuess with `error` set, so a failing backend never loses a report."""

from __future__ import annotations

import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.component import LoadOnce
from core.photo_types import SceneGuess
from core.settings import VisionSettings

if TYPE_CHECKING:
    from PIL.Image import Image

    from knowledge.loader import KnowledgeBase

class VisionUnavailable(ValueError):
    """The configured vision backend cannot be used; the message says what was found and what to do."""


@dataclass(frozen=True)
class VisualCandidate:
    """A category a photo may show, with the texts a backend compares the photo against."""

    id: str
    name: str
    description: str
    prompts_zh: tuple[str, ...]
    prompts_en: tuple[str, ...]


def _first_clause(text: str, limit: int = 40) -> str:
    clause = re.split(r"[，,。；;]", text, maxsplit=1)[0].strip()
    return clause if len(clause) <= limit else clause[: limit - 1] + "…"


def _first_sentence(text: str) -> str:
    return text.split("。", 1)[0].strip()


def visual_candidates(kb: KnowledgeBase) -> tuple[VisualCandidate, ...]:
    """The taxonomy's `visual: true` leaves, in taxonomy order. Chinese prompts come from the name and
    the description's first clause; English ones from the leaf's `visual_prompts`."""
    out = []
    for leaf in kb.leaves.values():
        if not leaf.visual:
            continue
        zh = (f"一张{leaf.name}的照片", f"一张照片：{_first_clause(leaf.description)}")
        en = tuple(f"a photo of {p.strip()}" for p in leaf.visual_prompts)
        out.append(VisualCandidate(id=leaf.id, name=leaf.name, description=_first_sentence(leaf.description),
                                   prompts_zh=zh, prompts_en=en))
    return tuple(out)


@dataclass(frozen=True)
class SceneAnswer:
    """What a backend returns; the base class checks it and makes the SceneGuess."""

    category_id: str | None
    score: float | None = None
    description: str | None = None
    alternatives: tuple[tuple[str, float], ...] = ()
    rejected: tuple[str, ...] = ()
    error: str | None = None


class VisionBackend(LoadOnce, ABC):
    """Subclasses implement `_classify` (and `_load` when they have a model to load); nothing heavy
    happens before `warm_up()`."""

    name: str = "vision"

    def __init__(self, settings: VisionSettings) -> None:
        super().__init__()
        self.settings = settings

    @property
    def identity(self) -> str:
        """`SceneGuess.backend`: the backend and the model, e.g. "clip:chinese-clip-vit-base-patch16"."""
        return self.name

    def _load(self) -> None:  # remote backends have nothing to load
        """Load the model, if it is local; raise VisionUnavailable when the configuration is wrong."""

    @abstractmethod
    def _classify(self, image: Image, candidates: tuple[VisualCandidate, ...]) -> SceneAnswer:
        """Pick one of `candidates` (or none) for an RGB image no larger than `image_max_side`."""

    def classify(self, image: Image, candidates: Sequence[VisualCandidate]) -> SceneGuess:
        """The backend's guess for one photo. Never raises: a failure is a guess with `error` set."""
        started = time.perf_counter()
        offered = tuple(candidates)[: self.settings.max_candidates]
        if not offered:
            return self._guess(started, SceneAnswer(category_id=None, error="no candidate categories were given"))
        try:
            self.warm_up()
            answer = self._classify(prepare_image(image, self.settings.image_max_side), offered)
        except Exception as exc:  # a model, a server or a photo failing: the report goes on without a scene
            answer = SceneAnswer(category_id=None, error=f"{type(exc).__name__}: {exc}"[:500])
        ids = {c.id for c in offered}
        if answer.category_id is not None and answer.category_id not in ids:
            answer = SceneAnswer(category_id=None, score=None, description=answer.description,
                                 alternatives=answer.alternatives,
                                 rejected=(*answer.rejected, f"{answer.category_id}: not a candidate"),
                                 error=answer.error or f"the backend answered {answer.category_id!r}, "
                                                       "which was not offered")
        return self._guess(started, answer)

    def _guess(self, started: float, a: SceneAnswer) -> SceneGuess:
        return SceneGuess(backend=self.identity, category_id=a.category_id, score=a.score,
                          description=a.description, alternatives=a.alternatives, rejected=a.rejected,
                          latency_ms=round((time.perf_counter() - started) * 1000, 1), error=a.error)


def prepare_image(image: Image, max_side: int) -> Image:
    """An upright RGB copy whose longer side is at most `max_side` (transparency over white)."""
    from PIL import Image as PILImage
    from PIL import ImageOps

    out = ImageOps.exif_transpose(image)  # a copy; a no-op for photos intake already turned upright
    if max(out.size) > max_side:
        out.thumbnail((max_side, max_side), PILImage.Resampling.LANCZOS)
    if out.mode in ("RGBA", "LA", "PA") or (out.mode == "P" and "transparency" in out.info):
        rgba = out.convert("RGBA")
        background = PILImage.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return out if out.mode == "RGB" else out.convert("RGB")


_BACKENDS: dict[VisionSettings, VisionBackend] = {}
_LOCK = threading.Lock()


def make_vision(settings: VisionSettings) -> VisionBackend | None:
    """The backend these settings ask for (None for `none`), shared within the process so a local
    model is loaded once. Raises VisionUnavailable when the settings miss what the backend needs."""
    if settings.backend == "none":
        return None
    if settings.backend == "fake":
        from classifiers.vision.fake import FakeVisionBackend

        return FakeVisionBackend(settings)  # each pipeline reads its own script from the start
    with _LOCK:
        backend = _BACKENDS.get(settings)
        if backend is None:
            if settings.backend == "clip":
                from classifiers.vision.clip import ClipVisionBackend

                backend = ClipVisionBackend(settings)
            else:
                from classifiers.vision.openai_vision import OpenAIVisionBackend

                backend = OpenAIVisionBackend(settings)
            _BACKENDS[settings] = backend
        return backend
