"""Verification of a disposal (智能核查) with the real reply checker: the verdict and its reasons for
the things departments actually send — a full answer, a neighbour's answer, courtesy alone, an
answer without its handling, photos taken before the report, elsewhere or of another scene, photos
whose text names another street, promises without dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent.models import Models
from agent.verification import VerificationStage
from classifiers.replies import ReplyChecker
from classifiers.reply_parts import without_answer
from core.photo_types import PhotoFacts
from core.settings import VerificationSettings
from core.types import Commitment, Disposal, Outcome, Verification, VerifiedCase
from tests.classifiers.test_replies import COURTESY, FULL_ANSWER, NEIGHBOUR, REPORT, TITLE

pytestmark = pytest.mark.integration

REPORTED = datetime(2026, 3, 12, 1, 30, tzinfo=UTC)
CASE = VerifiedCase(text=REPORT, title=TITLE, reported_at=REPORTED, lat=34.7617, lon=113.6810)


@pytest.fixture(scope="module")
def stage(models: Models) -> VerificationStage:
    return VerificationStage(ReplyChecker(models.embedder, models.tokenizer, VerificationSettings()),
                             VerificationSettings())


def photo(hours_after: float | None, lat: float | None = 34.7619, lon: float | None = 113.6812,
          phash: str = "0" * 16, ocr_text: str = "") -> PhotoFacts:
    return PhotoFacts(sha256="0" * 64, format="jpeg", width=800, height=600, size_bytes=1000,
                      taken_at=None if hours_after is None else REPORTED + timedelta(hours=hours_after),
                      lat=lat, lon=lon, phash=phash, dhash=phash, ocr_text=ocr_text)


def verify(stage: VerificationStage, reply: str = FULL_ANSWER, outcome: Outcome = "resolved",
           photos: tuple[PhotoFacts, ...] = (), commitments: tuple[Commitment, ...] = (),
           case: VerifiedCase = CASE) -> Verification:
    return stage.run(case, Disposal(reply=reply, outcome=outcome, photos=photos, commitments=commitments))


def codes(v: Verification) -> list[str]:
    return [r.code for r in v.reasons]


def test_an_explained_case_with_a_real_answer_passes(stage: VerificationStage) -> None:
    v = verify(stage, outcome="explained")
    assert (v.verdict, codes(v)) == ("pass", ["verify.passed"])
    assert v.relevance >= 0.7


def test_a_resolved_case_with_a_good_photo_still_needs_a_person_without_a_vision_backend(
        stage: VerificationStage) -> None:
    v = verify(stage, photos=(photo(30),))
    assert (v.verdict, codes(v)) == ("needs_person", ["verify.photo_unjudged"])
    assert v.evidence["photos"][0]["km_from_place"] < 0.1
    with_vision = VerificationStage(stage.checker, stage.settings, vision=True)
    assert with_vision.run(CASE, Disposal(reply=FULL_ANSWER, outcome="resolved",
                                          photos=(photo(30),))).verdict == "pass"


def test_a_resolved_case_without_a_photo_needs_a_person(stage: VerificationStage) -> None:
    assert codes(verify(stage)) == ["verify.no_photo"]


@pytest.mark.parametrize(("after", "expected"), [
    (photo(-48), "verify.photo_before_report"),
    (photo(30, lat=34.7800, lon=113.6810), "verify.photo_elsewhere"),
], ids=["before-the-report", "two-km-away"])
def test_a_photo_that_cannot_show_the_fix_fails(stage: VerificationStage, after: PhotoFacts, expected: str) -> None:
    v = verify(stage, photos=(after,))
    assert v.verdict == "fail"
    assert expected in codes(v)
    assert "照片" in v.reasons[0].text()


def test_a_photo_without_time_or_place_needs_a_person(stage: VerificationStage) -> None:
    v = verify(stage, photos=(photo(None, lat=None, lon=None),))
    assert v.verdict == "needs_person"
    assert {"verify.photo_no_place", "verify.photo_no_time"} <= set(codes(v))


@pytest.mark.parametrize(("reply", "expected"), [(NEIGHBOUR, "verify.irrelevant"), (COURTESY, "verify.no_substance")],
                         ids=["a-neighbour-s-answer", "courtesy-alone"])
def test_a_reply_that_does_not_answer_fails_with_the_reason(stage: VerificationStage, reply: str,
                                                            expected: str) -> None:
    v = verify(stage, reply=reply, outcome="explained")
    assert v.verdict == "fail"
    assert expected in codes(v)


def test_promises_need_dates_and_a_partial_fix_needs_promises(stage: VerificationStage) -> None:
    assert "verify.partly_without_commitment" in codes(verify(stage, outcome="partly"))
    undated = verify(stage, outcome="partly", commitments=(Commitment(text="更换整条路段井盖"),))
    assert (undated.verdict, codes(undated)) == ("fail", ["verify.commitment_undated"])
    dated = verify(stage, outcome="partly", commitments=(Commitment(text="更换整条路段井盖",
                                                                    due=REPORTED + timedelta(days=30)),))
    assert dated.verdict == "pass"


def test_not_our_remit_goes_to_a_person(stage: VerificationStage) -> None:
    v = verify(stage, outcome="not_our_remit")
    assert (v.verdict, codes(v)) == ("needs_person", ["verify.not_our_remit"])


def test_an_answer_without_its_handling_scores_lower_on_completeness(stage: VerificationStage) -> None:
    v = verify(stage, reply=without_answer(FULL_ANSWER) or "", outcome="explained")
    assert v.verdict != "pass"
    assert v.completeness is not None
    assert v.completeness < verify(stage, outcome="explained").completeness  # type: ignore[operator]
    assert "verify.incomplete" not in codes(v), "completeness alone never sends a case back"


def test_a_very_low_completeness_asks_a_person(stage: VerificationStage) -> None:
    v = verify(stage, reply="您好！关于您反映的问题，经研究，请您理解。感谢您的支持！", outcome="explained")
    assert v.completeness is not None
    assert v.completeness < 0.3
    assert "verify.incomplete_unsure" in codes(v)


# The report came with a photo; an after-photo without GPS is compared with it by its hashes.
WITH_PHOTO = CASE.model_copy(update={"lat": None, "lon": None, "photos": (photo(-1, None, None, "0f" * 8),)})


@pytest.mark.parametrize(("after_hash", "expected", "scene"), [
    ("0f" * 8, None, "same"),  # 0 bits from the report's photo
    ("0f0f0f0f0f0ff0f0", "verify.photo_scene_unsure", "unclear"),  # 16 bits
    ("f0" * 8, "verify.photo_other_scene", "other"),  # 64 bits
], ids=["same-scene", "cannot-tell", "another-scene"])
def test_an_after_photo_without_gps_is_placed_by_the_report_s_photos(
        stage: VerificationStage, after_hash: str, expected: str | None, scene: str) -> None:
    v = verify(stage, photos=(photo(30, None, None, after_hash),), case=WITH_PHOTO)
    assert v.evidence["photos"][0]["scene"] == scene
    assert "verify.photo_no_place" not in codes(v)
    if expected is None:
        assert (v.verdict, codes(v)) == ("needs_person", ["verify.photo_unjudged"])
    else:
        assert expected in codes(v)
    assert (v.verdict == "fail") == (scene == "other")


def test_text_on_an_after_photo_naming_another_street_goes_to_a_person(stage: VerificationStage) -> None:
    v = verify(stage, photos=(photo(30, ocr_text="花园路88号"),))
    assert "verify.photo_text_other" in codes(v)
    assert "花园路" in v.evidence["photos"][0]["other_names"]
    ours = verify(stage, photos=(photo(30, ocr_text="文化路12号"),))
    assert "verify.photo_text_other" not in codes(ours)
