"""The vision base class's own work, with a fake backend: timing, image preparation, failures turned into
guesses with `error`, answers checked against the candidates; plus the candidates built from the
default knowledge base and the settings' validation."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from PIL import Image
from pydantic import SecretStr, ValidationError

from classifiers.vision import (
    SceneAnswer,
    VisionBackend,
    VisionUnavailable,
    VisualCandidate,
    make_vision,
    prepare_image,
    visual_candidates,
)
from core.settings import DEFAULT_KB, VisionSettings
from knowledge.loader import check_kb, load_kb

pytestmark = pytest.mark.unit

CANDIDATES = (
    VisualCandidate(id="municipal.manhole-cover", name="井盖缺失破损", description="井盖缺失",
                    prompts_zh=("一张井盖缺失破损的照片",), prompts_en=("a photo of an open manhole",)),
    VisualCandidate(id="traffic.illegal-parking", name="机动车违停", description="乱停车",
                    prompts_zh=("一张机动车违停的照片",), prompts_en=("a photo of a car on the sidewalk",)),
)


class FakeBackend(VisionBackend):
    name = "fake"

    def __init__(self, settings: VisionSettings, answer: SceneAnswer | None = None, fail: Exception | None = None,
                 delay_s: float = 0.0) -> None:
        super().__init__(settings)
        self.answer = answer or SceneAnswer(category_id="municipal.manhole-cover", score=0.9)
        self.fail, self.delay_s = fail, delay_s
        self.loads = 0
        self.seen: list[tuple[Image.Image, tuple[VisualCandidate, ...]]] = []

    def _load(self) -> None:
        self.loads += 1

    def _classify(self, image: Image.Image, candidates: tuple[VisualCandidate, ...]) -> SceneAnswer:
        self.seen.append((image, candidates))
        time.sleep(self.delay_s)
        if self.fail:
            raise self.fail
        return self.answer


def _settings(**kw: object) -> VisionSettings:
    return VisionSettings(backend="clip", model_dir="/nowhere", api_key=None, **kw)


def test_a_good_answer_becomes_a_guess_with_its_latency_and_the_model_loads_once() -> None:
    backend = FakeBackend(_settings(), delay_s=0.02)
    guess = backend.classify(Image.new("RGB", (40, 30)), CANDIDATES)
    backend.classify(Image.new("RGB", (40, 30)), CANDIDATES)
    assert guess.category_id == "municipal.manhole-cover"
    assert guess.score == 0.9
    assert guess.backend == "fake"
    assert guess.error is None
    assert guess.latency_ms >= 20
    assert backend.loads == 1


def test_a_failing_backend_gives_a_guess_with_the_error_instead_of_raising() -> None:
    backend = FakeBackend(_settings(), fail=RuntimeError("CUDA out of memory"))
    guess = backend.classify(Image.new("RGB", (40, 30)), CANDIDATES)
    assert guess.category_id is None
    assert guess.error == "RuntimeError: CUDA out of memory"


def test_a_failing_warm_up_is_also_caught() -> None:
    class Broken(FakeBackend):
        def _load(self) -> None:
            raise VisionUnavailable("no model here")

    guess = Broken(_settings()).classify(Image.new("RGB", (8, 8)), CANDIDATES)
    assert guess.category_id is None
    assert guess.error == "VisionUnavailable: no model here"


def test_an_answer_naming_a_category_not_offered_is_refused() -> None:
    backend = FakeBackend(_settings(), answer=SceneAnswer(category_id="safety.fire", score=0.99))
    guess = backend.classify(Image.new("RGB", (8, 8)), CANDIDATES)
    assert guess.category_id is None
    assert guess.score is None
    assert guess.rejected == ("safety.fire: not a candidate",)
    assert guess.error is not None
    assert "safety.fire" in guess.error


def test_no_candidates_means_no_call_and_no_category() -> None:
    backend = FakeBackend(_settings())
    guess = backend.classify(Image.new("RGB", (8, 8)), [])
    assert guess.category_id is None
    assert guess.error == "no candidate categories were given"
    assert backend.seen == []
    assert backend.loads == 0


def test_candidates_are_capped_at_max_candidates() -> None:
    backend = FakeBackend(_settings(max_candidates=1))
    backend.classify(Image.new("RGB", (8, 8)), CANDIDATES)
    assert backend.seen[0][1] == CANDIDATES[:1]


def test_the_backend_sees_an_rgb_copy_no_larger_than_image_max_side() -> None:
    backend = FakeBackend(_settings(image_max_side=64))
    original = Image.new("RGBA", (400, 100), (255, 0, 0, 0))
    backend.classify(original, CANDIDATES)
    seen = backend.seen[0][0]
    assert seen.mode == "RGB"
    assert seen.size == (64, 16)
    assert seen.getpixel((0, 0)) == (255, 255, 255)  # transparency laid over white, not black
    assert original.size == (400, 100)
    assert original.mode == "RGBA"  # the caller's image is untouched
    small = prepare_image(Image.new("L", (30, 20)), 64)
    assert small.size == (30, 20)
    assert small.mode == "RGB"


def test_exif_orientation_is_applied_before_the_backend_sees_the_photo(tmp_path: Path) -> None:
    image = Image.new("RGB", (60, 20))
    exif = image.getexif()
    exif[0x0112] = 6  # rotated 90° clockwise
    path = tmp_path / "sideways.jpg"
    image.save(path, exif=exif)
    with Image.open(path) as opened:
        assert prepare_image(opened, 1024).size == (20, 60)


def test_visual_candidates_of_the_default_knowledge_base() -> None:
    kb = load_kb(DEFAULT_KB)
    candidates = visual_candidates(kb)
    assert len(candidates) == 66
    assert [c.id for c in candidates] == [leaf.id for leaf in kb.leaves.values() if leaf.visual]
    for c in candidates:
        assert c.prompts_zh[0] == f"一张{c.name}的照片"
        assert len(c.prompts_zh) == 2
        assert 1 <= len(c.prompts_en) <= 2
        assert all(p.startswith("a photo of ") for p in c.prompts_en)
        assert c.description
        assert "。" not in c.description
    manhole = next(c for c in candidates if c.id == "municipal.manhole-cover")
    assert manhole.prompts_zh[1] == "一张照片：道路、人行道上的窨井盖、雨水篦子缺失、破损、移位、下沉或异响"


def test_visual_prompts_on_a_leaf_that_is_not_visual_is_a_named_error(tmp_path: Path) -> None:
    import shutil

    kb_dir = tmp_path / "kb"
    shutil.copytree(DEFAULT_KB, kb_dir)
    path = kb_dir / "taxonomy.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    leaf = next(leaf for top in data["categories"] for leaf in top["children"] if not leaf.get("visual"))
    leaf["visual_prompts"] = ["a photo of something"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    problems = [str(p) for p in check_kb(kb_dir)]
    assert any(f"leaf '{leaf['id']}' has visual_prompts but is not `visual: true`" in p for p in problems), problems


def test_settings_are_strict() -> None:
    assert VisionSettings().backend == "none"
    with pytest.raises(ValidationError):
        VisionSettings(backend="gpt4v")
    with pytest.raises(ValidationError):
        VisionSettings(model_path="/x")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        VisionSettings(min_score=1.5)
    with pytest.raises(ValidationError):
        VisionSettings(image_max_side=8)
    settings = VisionSettings(backend="vision-openai", api_key=SecretStr("sk-secret"))
    assert "sk-secret" not in repr(settings)
    with pytest.raises(ValidationError):
        settings.backend = "clip"  # type: ignore[misc]


def test_the_api_key_falls_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRIDTRIAGE_VISION_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    key = VisionSettings().api_key
    assert key is not None
    assert key.get_secret_value() == "sk-from-env"
    monkeypatch.setenv("GRIDTRIAGE_VISION_API_KEY", "sk-vision")
    key = VisionSettings().api_key
    assert key is not None
    assert key.get_secret_value() == "sk-vision"


def test_make_vision() -> None:
    assert make_vision(VisionSettings(backend="none")) is None
    with pytest.raises(VisionUnavailable, match=r"needs vision\.model_dir"):
        make_vision(VisionSettings(backend="clip"))
    with pytest.raises(VisionUnavailable, match="needs a base URL"):
        make_vision(VisionSettings(backend="vision-openai", model="qwen"))
    with pytest.raises(VisionUnavailable, match="needs a model name"):
        make_vision(VisionSettings(backend="vision-openai", base_url="http://127.0.0.1:9/v1"))
    with pytest.raises(VisionUnavailable, match="must start with http"):
        make_vision(VisionSettings(backend="vision-openai", base_url="127.0.0.1:9/v1", model="qwen"))
    settings = VisionSettings(backend="clip", model_dir="/nowhere")
    backend = make_vision(settings)
    assert backend is not None
    assert backend is make_vision(settings)  # one per setting in the process
    assert backend.identity == "clip:nowhere"
    guess = backend.classify(Image.new("RGB", (8, 8)), CANDIDATES)  # the directory is missing
    assert guess.category_id is None
    assert guess.error is not None
    assert "is not a directory" in guess.error


def test_importing_the_backends_loads_no_heavy_package() -> None:
    import subprocess
    import sys

    code = ("import sys, classifiers.vision, classifiers.vision.clip, classifiers.vision.openai_vision; "
            "print(sorted(m for m in ('torch', 'transformers', 'openai') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parents[3])
    assert out.stdout.strip() == "[]"
