"""Zero-shot scene classification with any CLIP-style model directory transformers can load
(`CLIPModel`, `ChineseCLIPModel`, …): the photo's embedding against each candidate's prompt
embeddings, softmax over the candidates. Text embeddings are computed once per candidate list."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classifiers.lazy import require
from classifiers.vision.base import SceneAnswer, VisionBackend, VisionUnavailable, VisualCandidate
from core.settings import VisionSettings

if TYPE_CHECKING:
    from PIL.Image import Image

CACHED_CANDIDATE_LISTS = 8
TEXT_BATCH = 64
ALTERNATIVES = 3
_HOW_TO_GET = (
    "give a local directory saved by transformers with both towers and the processor files, e.g. "
    "`hf download OFA-Sys/chinese-clip-vit-base-patch16 --local-dir DIR` on a machine with "
    "internet access (models are never downloaded at run time)"
)


class ClipVisionBackend(VisionBackend):
    name = "clip"

    def __init__(self, settings: VisionSettings) -> None:
        super().__init__(settings)
        if not settings.model_dir:
            raise VisionUnavailable(f"the clip backend needs vision.model_dir; {_HOW_TO_GET}")
        self.model_dir = Path(settings.model_dir).expanduser()
        self._model: Any = None
        self._processor: Any = None
        self._max_text_tokens = 77
        self._text_cache: OrderedDict[tuple[VisualCandidate, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def identity(self) -> str:
        return f"{self.name}:{self.model_dir.name}"

    def _load(self) -> None:
        path = self.model_dir
        if not path.is_dir():
            raise VisionUnavailable(f"vision.model_dir {path} is not a directory; {_HOW_TO_GET}")
        model_type = _model_type(path)
        torch = require("torch", "torch==2.13.0")
        transformers = require("transformers", "transformers==5.23.0")
        torch.set_num_threads(self.settings.threads)
        try:
            model = transformers.AutoModel.from_pretrained(str(path), local_files_only=True, dtype=torch.float32)
        except Exception as exc:  # missing weights, unknown model type, shape mismatches: all a wrong directory
            raise VisionUnavailable(f"transformers cannot load a model from {path} (model_type {model_type!r}): "
                                    f"{type(exc).__name__}: {exc}; {_HOW_TO_GET}") from exc
        if not all(hasattr(model, a) for a in ("get_text_features", "get_image_features", "logit_scale")):
            raise VisionUnavailable(
                f"{path} holds a {type(model).__name__} (model_type {model_type!r}), not a CLIP-style model "
                f"with a text tower, an image tower and a logit scale; save CLIPModel or ChineseCLIPModel "
                f"there instead; {_HOW_TO_GET}")
        try:
            processor = transformers.AutoProcessor.from_pretrained(str(path), local_files_only=True)
        except Exception as exc:
            raise VisionUnavailable(f"{path} has a {type(model).__name__} but no usable processor "
                                    f"({type(exc).__name__}: {exc}); save the tokenizer and image processor "
                                    "next to it with processor.save_pretrained(DIR)") from exc
        if getattr(processor, "tokenizer", None) is None or getattr(processor, "image_processor", None) is None:
            raise VisionUnavailable(f"the processor in {path} ({type(processor).__name__}) lacks a tokenizer or an "
                                    "image processor; save a CLIPProcessor or ChineseCLIPProcessor there")
        model.eval()
        text_config = getattr(model.config, "text_config", None)
        positions = int(getattr(text_config, "max_position_embeddings", 77) or 77)
        tokenizer_limit = int(getattr(processor.tokenizer, "model_max_length", positions) or positions)
        self._max_text_tokens = min(positions, tokenizer_limit)
        self._model, self._processor = model, processor

    def _classify(self, image: Image, candidates: tuple[VisualCandidate, ...]) -> SceneAnswer:
        torch = require("torch", "torch==2.13.0")
        texts = self.text_embeddings(candidates)
        pixels = self._processor.image_processor(images=image, return_tensors="pt")["pixel_values"]
        with torch.inference_mode():
            vector = _features(self._model.get_image_features(pixel_values=pixels))[0]
            vector = vector / vector.norm().clamp_min(1e-12)
            scale = float(self._model.logit_scale.exp().clamp(max=100.0))
            probabilities = torch.softmax(scale * (texts @ vector), dim=0)
        ranked = sorted(zip((c.id for c in candidates), probabilities.tolist(), strict=True),
                        key=lambda pair: -pair[1])
        ranked = [(cid, round(float(p), 6)) for cid, p in ranked]
        best_id, best = ranked[0]
        if best < self.settings.min_score:
            return SceneAnswer(category_id=None, score=None, alternatives=tuple(ranked[: ALTERNATIVES + 1]))
        return SceneAnswer(category_id=best_id, score=best, alternatives=tuple(ranked[1 : ALTERNATIVES + 1]))

    def text_embeddings(self, candidates: tuple[VisualCandidate, ...]) -> Any:
        """One L2-normalised row per candidate: the mean of its prompts' embeddings. Computed once per
        candidate list (the taxonomy's visual leaves do not change between photos)."""
        with self._lock:
            cached = self._text_cache.get(candidates)
            if cached is not None:
                self._text_cache.move_to_end(candidates)
                return cached
            matrix = self._embed_prompts(candidates)
            self._text_cache[candidates] = matrix
            while len(self._text_cache) > CACHED_CANDIDATE_LISTS:
                self._text_cache.popitem(last=False)
            return matrix

    def _embed_prompts(self, candidates: tuple[VisualCandidate, ...]) -> Any:
        torch = require("torch", "torch==2.13.0")
        languages = self.settings.prompt_languages
        prompts: list[str] = []
        owners: list[int] = []
        for i, c in enumerate(candidates):
            chosen = (c.prompts_zh if "zh" in languages else ()) + (c.prompts_en if "en" in languages else ())
            chosen = chosen or c.prompts_zh + c.prompts_en or (c.name,)  # a leaf without prompts in that language
            prompts.extend(chosen)
            owners.extend([i] * len(chosen))
        parts = []
        with torch.inference_mode():
            for start in range(0, len(prompts), TEXT_BATCH):
                tokens = self._processor.tokenizer(prompts[start : start + TEXT_BATCH], padding=True, truncation=True,
                                                   max_length=self._max_text_tokens, return_tensors="pt")
                parts.append(_features(self._model.get_text_features(**tokens)))
            vectors = torch.cat(parts)
            vectors = vectors / vectors.norm(dim=1, keepdim=True).clamp_min(1e-12)
            index = torch.tensor(owners)
            sums = torch.zeros(len(candidates), vectors.shape[1], dtype=vectors.dtype).index_add_(0, index, vectors)
            return sums / sums.norm(dim=1, keepdim=True).clamp_min(1e-12)


def _features(output: Any) -> Any:
    """transformers 5 returns a BaseModelOutputWithPooling whose `pooler_output` is the projected
    embedding; earlier versions returned the tensor itself."""
    pooled = getattr(output, "pooler_output", None)
    return output if pooled is None else pooled


def _model_type(path: Path) -> str | None:
    config = path / "config.json"
    if not config.is_file():
        found = ", ".join(sorted(p.name for p in path.iterdir())[:12]) or "nothing"
        raise VisionUnavailable(f"{path} has no config.json (found: {found}), so it is not a model saved by "
                                f"transformers; {_HOW_TO_GET}")
    try:
        value = json.loads(config.read_text(encoding="utf-8")).get("model_type")
    except (ValueError, AttributeError) as exc:
        raise VisionUnavailable(f"{config} is not a JSON object ({exc}); {_HOW_TO_GET}") from exc
    return str(value) if value is not None else None
