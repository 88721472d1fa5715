"""The `clip` backend's loading and zero-shot code on tiny, randomly initialised CLIP and Chinese-CLIP
models that the test builds and saves with transformers (no model ships in a package and nothing is
downloaded).

These tests check the plumbing, NOT the quality: the weights are random, so which category wins means
nothing. What is checked: a saved directory loads through `make_vision` with its processor, the
answer is one of the real default-KB candidates with valid, sorted probabilities, text embeddings are
computed once per candidate list, `min_score` holds back a weak best guess, and a wrong directory gives
`VisionUnavailable` saying what was found and what to do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image, ImageDraw

from classifiers.vision import VisionUnavailable, VisualCandidate, make_vision, visual_candidates
from classifiers.vision.clip import ClipVisionBackend
from core.settings import DEFAULT_KB, VisionSettings
from knowledge.loader import load_kb

if TYPE_CHECKING:
    from transformers.processing_utils import ImagesKwargs

pytestmark = pytest.mark.integration

TOWERS = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2}
VISION = {**TOWERS, "image_size": 32, "patch_size": 8}
IMAGE_SIZE: ImagesKwargs = {"size": {"shortest_edge": 32}, "crop_size": {"height": 32, "width": 32}}


def _save_tiny_clip(target: Path) -> Path:
    """CLIPModel + a byte-level BPE tokenizer whose vocabulary is the 256 byte symbols (so it covers
    ASCII and every CJK character, byte by byte) + the PIL image processor."""
    import torch
    from transformers import CLIPConfig, CLIPModel, CLIPProcessor, CLIPTokenizer
    from transformers.convert_slow_tokenizer import bytes_to_unicode
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    symbols = list(bytes_to_unicode().values())
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for symbol in [*symbols, *(s + "</w>" for s in symbols)]:
        vocab.setdefault(symbol, len(vocab))
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)
    config = CLIPConfig(text_config={**TOWERS, "vocab_size": len(vocab), "max_position_embeddings": 77,
                                     "bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 1},
                        vision_config=VISION, projection_dim=16)
    torch.manual_seed(0)
    CLIPModel(config).save_pretrained(target)
    CLIPProcessor(image_processor=CLIPImageProcessorPil(**IMAGE_SIZE), tokenizer=tokenizer).save_pretrained(target)
    return target


def _save_tiny_chinese_clip(target: Path) -> Path:
    """ChineseCLIPModel + a WordPiece (BERT) tokenizer over ASCII and the CJK characters of the prompts."""
    import torch
    from transformers import BertTokenizer, ChineseCLIPConfig, ChineseCLIPModel, ChineseCLIPProcessor
    from transformers.models.chinese_clip.image_processing_pil_chinese_clip import ChineseCLIPImageProcessorPil

    prompts = "".join(p for c in visual_candidates(load_kb(DEFAULT_KB)) for p in c.prompts_zh)
    cjk = sorted({ch for ch in prompts if ord(ch) > 127})
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *(chr(c) for c in range(33, 127)), *cjk]
    vocab_file = target.parent / f"{target.name}-vocab.txt"
    vocab_file.write_text("\n".join(words), encoding="utf-8")
    tokenizer = BertTokenizer(vocab=str(vocab_file), model_max_length=64)
    config = ChineseCLIPConfig(text_config={**TOWERS, "vocab_size": len(words), "max_position_embeddings": 64},
                               vision_config=VISION, projection_dim=16)
    torch.manual_seed(0)
    ChineseCLIPModel(config).save_pretrained(target)
    processor = ChineseCLIPProcessor(image_processor=ChineseCLIPImageProcessorPil(**IMAGE_SIZE), tokenizer=tokenizer)
    processor.save_pretrained(target)
    return target


BUILDERS: dict[str, Callable[[Path], Path]] = {"clip": _save_tiny_clip, "chinese_clip": _save_tiny_chinese_clip}


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def model_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return BUILDERS[request.param](tmp_path_factory.mktemp("models") / f"tiny-{request.param}")


@pytest.fixture(scope="module")
def candidates() -> tuple[VisualCandidate, ...]:
    return visual_candidates(load_kb(DEFAULT_KB))


def _photo() -> Image.Image:
    image = Image.new("RGB", (640, 480), (90, 90, 95))
    ImageDraw.Draw(image).ellipse((250, 170, 390, 310), fill=(10, 10, 10))  # a dark hole in grey asphalt
    return image


def test_a_saved_model_directory_classifies_a_photo_among_the_default_candidates(
        model_dir: Path, candidates: tuple[VisualCandidate, ...]) -> None:
    backend = make_vision(VisionSettings(backend="clip", model_dir=str(model_dir), min_score=0.0))
    assert backend is not None
    backend.warm_up()
    guess = backend.classify(_photo(), candidates)
    assert guess.error is None, guess.error
    assert guess.backend == f"clip:{model_dir.name}"
    ids = [c.id for c in candidates]
    assert guess.category_id in ids
    assert guess.score is not None
    ranked = [(guess.category_id, guess.score), *guess.alternatives]
    assert len(ranked) == 4
    assert len({cid for cid, _ in ranked}) == 4
    assert all(cid in ids for cid, _ in ranked)
    probabilities = [p for _, p in ranked]
    assert all(0.0 < p <= 1.0 for p in probabilities)
    assert probabilities == sorted(probabilities, reverse=True)
    assert sum(probabilities) <= 1.0 + 1e-6
    assert guess.latency_ms > 0


def test_text_embeddings_are_computed_once_per_candidate_list(
        model_dir: Path, candidates: tuple[VisualCandidate, ...]) -> None:
    backend = ClipVisionBackend(VisionSettings(backend="clip", model_dir=str(model_dir), min_score=0.0))
    backend.warm_up()
    calls = {"text": 0, "image": 0}
    model: Any = backend._model
    for tower in ("text", "image"):
        real = getattr(model, f"get_{tower}_features")

        def counted(*args: Any, _real: Any = real, _tower: str = tower, **kwargs: Any) -> Any:
            calls[_tower] += 1
            return _real(*args, **kwargs)

        setattr(model, f"get_{tower}_features", counted)

    first = backend.classify(_photo(), candidates)
    text_calls = calls["text"]
    assert text_calls >= 1
    assert calls["image"] == 1
    second = backend.classify(_photo(), list(candidates))  # an equal list, not the same object
    assert calls["text"] == text_calls
    assert calls["image"] == 2  # the photo is embedded, the prompts are not
    assert (first.category_id, first.score) == (second.category_id, second.score)
    backend.classify(_photo(), candidates[:5])  # a different candidate list is embedded once
    assert calls["text"] == text_calls + 1


def test_a_best_guess_below_min_score_is_only_an_alternative(
        model_dir: Path, candidates: tuple[VisualCandidate, ...]) -> None:
    backend = make_vision(VisionSettings(backend="clip", model_dir=str(model_dir), min_score=0.99))
    assert backend is not None
    guess = backend.classify(_photo(), candidates)
    assert guess.error is None
    assert guess.category_id is None
    assert guess.score is None
    assert len(guess.alternatives) == 4
    assert guess.alternatives[0][1] == max(p for _, p in guess.alternatives)


def test_english_only_prompts_work_for_an_english_model(model_dir: Path) -> None:
    backend = make_vision(VisionSettings(backend="clip", model_dir=str(model_dir), min_score=0.0,
                                         prompt_languages="en"))
    assert backend is not None
    no_english = VisualCandidate(id="x.y", name="井盖", description="井盖", prompts_zh=("一张井盖的照片",),
                                 prompts_en=())
    english = VisualCandidate(id="x.z", name="路灯", description="路灯", prompts_zh=(),
                              prompts_en=("a photo of a lamp",))
    guess = backend.classify(_photo(), [no_english, english])  # falls back to the Chinese prompt for x.y
    assert guess.error is None
    assert guess.category_id in {"x.y", "x.z"}


def test_a_wrong_directory_says_what_it_found_and_what_to_do(tmp_path: Path, model_dir: Path) -> None:
    def failure(directory: Path) -> str:
        backend = make_vision(VisionSettings(backend="clip", model_dir=str(directory)))
        assert backend is not None
        with pytest.raises(VisionUnavailable) as caught:
            backend.warm_up()
        return str(caught.value)

    missing = failure(tmp_path / "no-such-dir")
    assert "is not a directory" in missing
    assert "hf download OFA-Sys/chinese-clip-vit-base-patch16 --local-dir" in missing

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "readme.txt").write_text("not a model", encoding="utf-8")
    message = failure(notes)
    assert "has no config.json (found: readme.txt)" in message
    assert "--local-dir" in message

    from transformers import BertConfig, BertModel

    bert = tmp_path / "bert"
    BertModel(BertConfig(vocab_size=32, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=32)).save_pretrained(bert)
    message = failure(bert)
    assert "holds a BertModel (model_type 'bert'), not a CLIP-style model" in message

    weights_only = tmp_path / "weights-only"
    weights_only.mkdir()
    for name in ("config.json", "model.safetensors"):
        (weights_only / name).write_bytes((model_dir / name).read_bytes())
    message = failure(weights_only)
    assert "no usable processor" in message
    assert "processor.save_pretrained" in message

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text(json.dumps({"model_type": "clip"}), encoding="utf-8")
    assert "transformers cannot load a model from" in failure(broken)

    backend = make_vision(VisionSettings(backend="clip", model_dir=str(notes)))
    assert backend is not None
    guess = backend.classify(_photo(), visual_candidates(load_kb(DEFAULT_KB)))  # never raises
    assert guess.category_id is None
    assert guess.error is not None
    assert "VisionUnavailable" in guess.error
