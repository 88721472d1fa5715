"""The `fake` vision backend made by `make_vision`: scripted verdicts in order, failures that the base
class turns into guesses with `error`, and the settings that refuse a script it cannot follow."""

from __future__ import annotations

import pytest
from PIL import Image

from classifiers.vision import VisionUnavailable, VisualCandidate, make_vision
from classifiers.vision.fake import FakeVisionBackend
from core.settings import ScriptedScene, Settings, VisionSettings, scripted_scene

pytestmark = pytest.mark.unit

CANDIDATES = tuple(
    VisualCandidate(id=leaf, name=leaf, description=leaf, prompts_zh=(leaf,), prompts_en=())
    for leaf in ("municipal.manhole-cover", "municipal.street-light", "traffic.illegal-parking"))


def fake(*script: str, **kw: object) -> FakeVisionBackend:
    backend = make_vision(VisionSettings(backend="fake", script=script, api_key=None, **kw))
    assert isinstance(backend, FakeVisionBackend)
    return backend


def test_verdicts_come_in_order_and_the_last_one_repeats() -> None:
    backend = fake("municipal.manhole-cover 0.9", "none", "municipal.street-light")
    guesses = [backend.classify(Image.new("RGB", (40, 30)), CANDIDATES) for _ in range(4)]
    assert [(g.category_id, g.score) for g in guesses] == [
        ("municipal.manhole-cover", 0.9), (None, None), ("municipal.street-light", None),
        ("municipal.street-light", None)]
    assert all(g.backend == "fake" and g.error is None for g in guesses)
    assert backend.seen[0] == ((40, 30), tuple(c.id for c in CANDIDATES))


@pytest.mark.parametrize(("entry", "error"), [("!timeout", "TimeoutError: the fake vision backend timed out"),
                                              ("!unreachable", "ConnectionError: the fake vision backend is "
                                                               "unreachable")])
def test_a_scripted_failure_is_a_guess_with_the_error(entry: str, error: str) -> None:
    guess = fake(entry).classify(Image.new("RGB", (8, 8)), CANDIDATES)
    assert guess.category_id is None
    assert guess.error == error


def test_a_category_not_offered_is_refused_by_the_base_class() -> None:
    guess = fake("safety.fire 0.99").classify(Image.new("RGB", (8, 8)), CANDIDATES)
    assert guess.category_id is None
    assert guess.score is None
    assert guess.rejected == ("safety.fire: not a candidate",)


def test_the_backend_is_shown_what_a_real_one_would_be() -> None:
    backend = fake("municipal.manhole-cover", image_max_side=64, max_candidates=2)
    backend.classify(Image.new("RGBA", (400, 100)), CANDIDATES)
    assert backend.seen == [((64, 16), ("municipal.manhole-cover", "municipal.street-light"))]


def test_every_pipeline_gets_its_own_script_from_the_start() -> None:
    settings = VisionSettings(backend="fake", script=("municipal.manhole-cover", "none"))
    first, second = make_vision(settings), make_vision(settings)
    assert first is not None
    assert second is not None
    assert first is not second
    first.classify(Image.new("RGB", (8, 8)), CANDIDATES)
    assert second.classify(Image.new("RGB", (8, 8)), CANDIDATES).category_id == "municipal.manhole-cover"


def test_the_fake_backend_needs_a_script() -> None:
    with pytest.raises(VisionUnavailable, match=r"needs vision\.script"):
        make_vision(VisionSettings(backend="fake"))


@pytest.mark.parametrize(("entry", "verdict"), [
    ("municipal.manhole-cover", ScriptedScene(category_id="municipal.manhole-cover")),
    (" municipal.manhole-cover  0.75 ", ScriptedScene(category_id="municipal.manhole-cover", score=0.75)),
    ("traffic.illegal-parking 1", ScriptedScene(category_id="traffic.illegal-parking", score=1.0)),
    ("none", ScriptedScene()),
    ("!timeout", ScriptedScene(failure="!timeout")),
])
def test_script_entries(entry: str, verdict: ScriptedScene) -> None:
    assert scripted_scene(entry) == verdict


@pytest.mark.parametrize(("entry", "message"), [
    ("!crash", "'!crash' is not a failure the fake backend knows; use !timeout or !unreachable"),
    ("井盖缺失", "'井盖缺失' is not a verdict"),
    ("municipal.manhole-cover 0.9 extra", "is not a verdict"),
    ("", "'' is not a verdict"),
    ("municipal.manhole-cover 1.5", "the score '1.5' must be a number from 0 to 1"),
    ("municipal.manhole-cover high", "the score 'high' must be a number from 0 to 1"),
    ("municipal.manhole-cover nan", "the score 'nan' must be a number from 0 to 1"),
])
def test_a_script_the_backend_cannot_follow_is_refused_when_the_settings_are_read(entry: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.load(None, vision={"backend": "fake", "script": ["none", entry]})
