"""Photo reports through the real pipeline: real OCR, EXIF, perceptual hashes, the real classifier,
router, dedup index and SQLite store, and photo files on disk."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from pydantic import SecretStr

from agent.intake import ReportRejected
from agent.models import Models
from agent.pipeline import TriagePipeline
from classifiers.photos import wgs84_to_gcj02
from classifiers.vision import make_vision
from core.photo_types import PhotoIn
from core.settings import VisionSettings
from core.types import ReportIn
from tests.support.photos import bomb_png, crop, fake_jpeg, photo_bytes, recompress, render_sign, street_scene
from tests.support.vision_server import KEY, MAX_SIDE, MODEL, serving

pytestmark = pytest.mark.integration

VAGUE = "麻烦你们来看一下这个情况，拍了照片"
SIGN = "井盖缺失 注意安全"


def _camera_point(gcj_lat: float, gcj_lon: float) -> tuple[float, float]:
    """The WGS-84 point a phone's GPS writes for a place that maps show at (gcj_lat, gcj_lon)."""
    lat, lon = gcj_lat, gcj_lon
    for _ in range(5):  # invert the shift by fixed-point iteration
        shifted = wgs84_to_gcj02(lat, lon)
        lat, lon = lat - (shifted[0] - gcj_lat), lon - (shifted[1] - gcj_lon)
    return lat, lon


def test_text_read_in_a_photo_changes_category_and_routing(pipeline: TriagePipeline) -> None:
    without = pipeline.triage(ReportIn(text=VAGUE))
    sign = photo_bytes(render_sign(SIGN))
    with_photo = pipeline.triage(ReportIn(text=VAGUE, photos=(PhotoIn(data=sign, filename="sign.jpg"),)))
    assert SIGN.replace(" ", "") in with_photo.intake.photo_text.replace(" ", "")
    assert with_photo.intake.text == VAGUE  # the citizen's words stay apart from the photo's
    category = with_photo.understanding.classification.category
    assert "manhole" in category.id, category
    assert category.id != without.understanding.classification.category.id
    assert with_photo.routing.lead.id != without.routing.lead.id
    case = pipeline.store.case(with_photo.case_id)
    assert case is not None
    photo = case.reports[0].photos[0]
    assert photo["ocr_text"] == with_photo.intake.photos[0].ocr_text
    received = next(a for a in case.audit if a.event == "report.received")
    assert received.payload["photo_text"] == with_photo.intake.photo_text


@pytest.mark.slow
def test_photo_files_are_stored_by_content_with_a_thumbnail(pipeline: TriagePipeline) -> None:
    data = photo_bytes(street_scene(3).resize((1600, 1200)))
    result = pipeline.triage(ReportIn(text="路边这个东西坏了好几天了", photos=(PhotoIn(data=data),)))
    facts = result.intake.photos[0]
    original = pipeline.photo_files.original(facts.sha256, facts.format)
    assert original.read_bytes() == data
    with Image.open(pipeline.photo_files.thumbnail(facts.sha256)) as thumb:
        assert max(thumb.size) == 320
        assert thumb.format == "JPEG"
    assert pipeline.store.count("photos") == 1


def test_exif_gps_and_time_stand_in_for_the_pin_and_report_time(pipeline: TriagePipeline) -> None:
    kb = pipeline.models.kb
    street = next(s for s in kb.streets.values() if s.center is not None)
    assert street.center is not None
    gcj_lat, gcj_lon = street.center
    taken = datetime(2026, 11, 20, 8, 30)
    data = photo_bytes(render_sign(SIGN), exif_time=taken, gps=_camera_point(gcj_lat, gcj_lon))
    result = pipeline.triage(ReportIn(text="这里井盖没了", photos=(PhotoIn(data=data),)))
    intake = result.intake
    assert intake.lat == pytest.approx(gcj_lat, abs=1e-4)
    assert intake.lon == pytest.approx(gcj_lon, abs=1e-4)
    assert intake.photos[0].gps_wgs84 is not None
    assert intake.photos[0].gps_wgs84 != pytest.approx((gcj_lat, gcj_lon), abs=1e-4)  # the shift was applied
    assert intake.reported_at == taken.replace(tzinfo=ZoneInfo(kb.meta.timezone))
    place = result.understanding.place
    assert place.street is not None, place
    assert place.street.id == street.id, place


@pytest.mark.slow
def test_the_same_photo_recompressed_or_cropped_is_a_duplicate(pipeline: TriagePipeline) -> None:
    original = photo_bytes(street_scene(7).resize((1200, 900)))
    first = pipeline.triage(ReportIn(text="", photos=(PhotoIn(data=original),)))
    assert first.duplicate_of is None
    for variant in (recompress(original, 55), crop(original, 0.08)):
        again = pipeline.triage(ReportIn(text="", photos=(PhotoIn(data=variant),)))
        assert again.duplicate_of == first.case_id
        evidence = next(c for c in again.dedup.candidates if c.case_id == first.case_id)
        assert evidence.photo_distance is not None
        assert evidence.reason.code == "dedup.same_photo"
        assert "同一张照片" in evidence.reason.text()
    other = pipeline.triage(ReportIn(text="", photos=(PhotoIn(data=photo_bytes(street_scene(8))),)))
    assert other.duplicate_of is None


@pytest.mark.slow
def test_a_photo_only_report_nobody_can_read_waits_for_a_person(pipeline: TriagePipeline) -> None:
    result = pipeline.triage(ReportIn(text="", photos=(PhotoIn(data=photo_bytes(street_scene(11))),)))
    classification = result.understanding.classification
    assert classification.source == "none"
    assert classification.category.id == pipeline.models.kb.policy.photo_only_category
    assert result.needs_review
    assert any(r.code == "review.photo_only" for r in result.review_reasons)


@pytest.mark.parametrize(("photo", "message"), [
    (bomb_png(), "百万像素"),
    (fake_jpeg(), "不是 JPEG、PNG 或 WebP 照片"),
    (b"\xff\xd8\xff\xe0 truncated", "无法读取"),
])
def test_bad_photos_refuse_the_report_and_store_nothing(pipeline: TriagePipeline, photo: bytes,
                                                       message: str) -> None:
    good = PhotoIn(data=photo_bytes(street_scene(1)), filename="ok.jpg")
    with pytest.raises(ReportRejected, match=message) as caught:
        pipeline.triage(ReportIn(text="路灯坏了", photos=(good, PhotoIn(data=photo, filename="bad.jpg"))))
    assert str(caught.value).startswith("第 2 张照片（bad.jpg）：")
    assert caught.value.text("en").startswith("Photo 2 (bad.jpg): ")
    assert pipeline.store.count("reports") == 0
    assert pipeline.store.count("photos") == 0


def test_more_photos_than_allowed_are_refused(pipeline: TriagePipeline) -> None:
    photo = PhotoIn(data=photo_bytes(street_scene(2)))
    with pytest.raises(ReportRejected, match="每条诉求最多 6 张"):
        pipeline.triage(ReportIn(text="路灯坏了", photos=(photo,) * 7))


@pytest.mark.slow
def test_a_vision_backend_names_the_category_of_a_photo_only_report(pipeline: TriagePipeline,
                                                                    models: Models) -> None:
    """Through the pipeline with `vision-openai` against a real loopback HTTP server."""
    candidates = models.photos.candidates
    code = next(f"V{i}" for i, c in enumerate(candidates, 1) if c.id == "municipal.manhole-cover")
    with serving(len(candidates)) as server:
        server.replies = [json.dumps({"category": code, "description": "人行道上的井盖不见了"}, ensure_ascii=False),
                          json.dumps({"category": code, "description": "井盖缺失"}, ensure_ascii=False)]
        vision = make_vision(VisionSettings(
            backend="vision-openai", base_url=f"http://127.0.0.1:{server.server_port}/v1", model=MODEL,
            api_key=SecretStr(KEY), image_max_side=MAX_SIDE, timeout_s=10.0, retries=0))
        seeing = TriagePipeline(pipeline.settings, models=models.with_vision(vision), store=pipeline.store)
        only_photo = seeing.triage(ReportIn(text="", photos=(PhotoIn(data=photo_bytes(street_scene(21))),)))
        with_text = seeing.triage(ReportIn(text="小区门口的路灯晚上不亮了",
                                           photos=(PhotoIn(data=photo_bytes(street_scene(22))),)))
    assert server.problems == []
    classification = only_photo.understanding.classification
    assert classification.source == "photo"
    assert classification.category.id == "municipal.manhole-cover"
    scene = only_photo.intake.photos[0].scene
    assert scene is not None
    assert scene.description == "人行道上的井盖不见了"
    assert any(r.code == "review.photo_category" and r.values["backend"] == f"vision-openai:{MODEL}"
               for r in only_photo.review_reasons)
    assert only_photo.needs_review
    assert with_text.understanding.classification.source == "text"
    assert any(r.code == "review.photo_disagrees" and r.values["photo"].startswith("井盖")
               for r in with_text.review_reasons), with_text.review_reasons
