"""The pipeline's photo paths with the `fake` vision backend made by `make_vision`: what a scene does to
a photo-only report, to a report whose text says something else, and what a failing backend leaves.
No OCR and no vision model, so each report takes milliseconds on the session's models; the
`vision-openai` backend through the pipeline is tested against a real HTTP server in
tests/agent/test_photo_reports.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from agent.models import Models
from agent.photos import PhotoStage
from agent.pipeline import TriagePipeline
from classifiers.photos import PhotoReader
from classifiers.vision import make_vision
from core.photo_types import PhotoIn
from core.settings import LLMSettings, PhotoSettings, Settings, VisionSettings
from core.types import ReportIn, TriageResult
from tests.support.photos import photo_bytes, street_scene

pytestmark = pytest.mark.integration  # the real text models, with a scripted vision backend

MANHOLE, LIGHT = "municipal.manhole-cover", "municipal.street-light"
LIGHT_TEXT = "小区门口的路灯晚上不亮了，黑乎乎的"


def photos(*seeds: int) -> tuple[PhotoIn, ...]:
    return tuple(PhotoIn(data=photo_bytes(street_scene(seed, (320, 240))), filename=f"{seed}.jpg") for seed in seeds)


Seeing = Callable[..., TriagePipeline]


@pytest.fixture
def seeing(models: Models, tmp_path: Path) -> Iterator[Seeing]:
    """`seeing(*script)`: a pipeline, with its own database, whose vision backend answers `script`."""
    opened: list[TriagePipeline] = []

    def make(*script: str) -> TriagePipeline:
        settings = Settings(db=str(tmp_path / f"cases{len(opened)}.db"), llm=LLMSettings(provider="none"),
                            photos=PhotoSettings(ocr=False), vision=VisionSettings(backend="fake", script=script))
        kb, shared = models.kb, models.photos
        reader = PhotoReader(settings.photos, kb.coordinate_system, ZoneInfo(kb.meta.timezone))
        photos = PhotoStage(kb, reader, shared.category_ref, settings.photos.max_photos,
                            vision=make_vision(settings.vision), candidates=shared.candidates)
        pipeline = TriagePipeline(settings, models=replace(models, photos=photos))
        opened.append(pipeline)
        return pipeline

    yield make
    for pipeline in opened:
        pipeline.store.close()


def codes(result: TriageResult) -> list[str]:
    return [r.code for r in result.review_reasons]


def test_a_photo_only_report_takes_the_category_of_the_scene_and_waits_for_a_person(seeing: Seeing,
                                                                                   models: Models) -> None:
    result = seeing(f"{MANHOLE} 0.83").triage(ReportIn(text="", photos=photos(1)))
    classification = result.understanding.classification
    assert classification.source == "photo"
    assert classification.category.id == MANHOLE
    assert classification.confidence == 0.83
    assert result.routing.lead.id == models.kb.leaves[MANHOLE].lead[0]
    assert result.needs_review
    assert "review.photo_category" in codes(result)
    reason = next(r for r in result.review_reasons if r.code == "review.photo_category")
    assert reason.values["backend"] == "fake"
    scene = result.intake.photos[0].scene
    assert scene is not None
    assert (scene.backend, scene.category_id, scene.score) == ("fake", MANHOLE, 0.83)


def test_of_several_photos_the_surest_scene_names_the_category(seeing: Seeing) -> None:
    result = seeing(f"{LIGHT} 0.4", f"{MANHOLE} 0.7", "none").triage(ReportIn(text="", photos=photos(2, 3, 4)))
    assert [p.scene.category_id for p in result.intake.photos if p.scene] == [LIGHT, MANHOLE, None]
    assert result.understanding.classification.category.id == MANHOLE


def test_a_scene_that_disagrees_with_the_text_sends_the_case_to_review(seeing: Seeing) -> None:
    result = seeing(f"{MANHOLE} 0.9").triage(ReportIn(text=LIGHT_TEXT, photos=photos(5)))
    classification = result.understanding.classification
    assert classification.source == "text"
    assert classification.category.id == LIGHT  # the text decides
    assert result.needs_review
    (reason,) = [r for r in result.review_reasons if r.code == "review.photo_disagrees"]
    assert reason.values == {"photo": "井盖缺失破损", "backend": "fake", "text": "路灯不亮损坏"}


def test_a_scene_that_agrees_with_the_text_adds_no_reason(seeing: Seeing) -> None:
    result = seeing(f"{LIGHT} 0.9").triage(ReportIn(text=LIGHT_TEXT, photos=photos(6)))
    assert result.understanding.classification.category.id == LIGHT
    assert "review.photo_disagrees" not in codes(result)


@pytest.mark.parametrize(("verdict", "error"), [("!timeout", "TimeoutError"), ("!unreachable", "ConnectionError"),
                                                ("none", None), ("safety.not-offered 0.9", "not offered")])
def test_without_a_usable_scene_a_photo_only_report_goes_to_a_person(seeing: Seeing, models: Models,
                                                                    verdict: str, error: str | None) -> None:
    result = seeing(verdict).triage(ReportIn(text="", photos=photos(7)))
    classification = result.understanding.classification
    assert classification.source == "none"
    assert classification.category.id == models.kb.policy.photo_only_category
    assert result.needs_review
    assert "review.photo_only" in codes(result)
    scene = result.intake.photos[0].scene
    assert scene is not None
    assert scene.category_id is None
    assert (scene.error is None) if error is None else (scene.error is not None and error in scene.error)


@pytest.mark.parametrize("verdict", ["!timeout", "!unreachable"])
def test_a_failing_backend_leaves_a_report_with_text_to_its_text(seeing: Seeing, verdict: str) -> None:
    without = seeing("none").triage(ReportIn(text=LIGHT_TEXT))
    result = seeing(verdict).triage(ReportIn(text=LIGHT_TEXT, photos=photos(8)))
    assert result.understanding.classification == without.understanding.classification
    assert result.routing.lead.id == without.routing.lead.id
    assert not {"review.photo_disagrees", "review.photo_category"} & set(codes(result))
    scene = result.intake.photos[0].scene
    assert scene is not None
    assert scene.error is not None


def test_the_scene_is_kept_with_the_stored_photo(seeing: Seeing) -> None:
    pipeline = seeing(MANHOLE)
    result = pipeline.triage(ReportIn(text="", photos=photos(9)))
    case = pipeline.store.case(result.case_id)
    assert case is not None
    assert case.category_id == MANHOLE
    assert case.needs_review
    stored = case.reports[0].photos[0]["scene"]
    assert (stored["backend"], stored["category_id"]) == ("fake", MANHOLE)
