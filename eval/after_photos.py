"""After-photo evaluation (`gridtriage eval after-photos`): generated before/after pairs read by the
real intake photo reader and judged by verification's photo checks (agent/photo_evidence.py).

Each case is a report at a place, with one before-photo: a street photo with a sign naming the
place, taken before the report, with the place's GPS. Its after-photos come in three kinds, each
with and without EXIF GPS:
- `same place`: the same scene shot again after the report — the frame shifted and cropped by a few
  per cent, turned by up to 1.5°, brighter or darker, new sensor noise, and the problem region (a
  patch of the road) changed;
- `other place`: another scene with a sign naming another street, taken after the report (with GPS:
  about 2 km away);
- `before report`: the same scene re-shot as above but with an EXIF time a day before the report.
A photo's outcome is what the place and time checks say: `pass` (here, after the report), `person`
(cannot tell) or `fail`. The right outcome is `pass` for the same place and `fail` for the others;
without a vision backend the case still goes to a person on its photos, which is not counted here.
Seeds are fixed: case i uses scene seed 7000 + i (another place: 9000 + i).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance

from agent.photo_evidence import PhotoEvidence
from classifiers.photos import PhotoReader
from core.photo_types import PhotoFacts, PhotoIn
from core.settings import PhotoSettings, VerificationSettings
from core.types import VerifiedCase
from eval.synthetic_photos import photo_bytes, sign_photo

KINDS = ("same place", "other place", "before report")
EXPECTED = {"same place": "pass", "other place": "fail", "before report": "fail"}
CITY = timezone(timedelta(hours=8))
REPORTED = datetime(2026, 5, 1, 9, 0, tzinfo=CITY)
# (street on the sign, WGS-84 of the place); the other place is the next street in the list
STREETS = (("德化街", (34.7545, 113.6640)), ("花园路", (34.7835, 113.6830)), ("农业路", (34.7960, 113.6700)),
           ("中原路", (34.7480, 113.6180)), ("文化路", (34.7790, 113.6660)), ("解放路", (34.7560, 113.6480)))


@dataclass(frozen=True)
class AfterPhoto:
    case: int
    kind: str
    gps: bool
    photo: PhotoIn


def reshoot(image: Image.Image, seed: int) -> Image.Image:
    """The same scene shot again: shifted and cropped, turned, lighter or darker, the problem region
    (a patch of road in the lower half) changed, new noise."""
    rng = random.Random(seed)
    w, h = image.size
    left, top = rng.uniform(0, 0.05) * w, rng.uniform(0, 0.05) * h
    right, bottom = w - rng.uniform(0, 0.05) * w, h - rng.uniform(0, 0.05) * h
    shot = image.rotate(rng.uniform(-1.5, 1.5), resample=Image.Resampling.BICUBIC)
    shot = shot.crop((round(left), round(top), round(right), round(bottom))).resize((w, h), Image.Resampling.LANCZOS)
    draw = ImageDraw.Draw(shot)
    pw, ph = rng.uniform(0.12, 0.22) * w, rng.uniform(0.06, 0.12) * h
    px, py = rng.uniform(0.2, 0.8) * w - pw / 2, rng.uniform(0.62, 0.9) * h - ph / 2
    grey = rng.randint(70, 110)
    draw.ellipse((px, py, px + pw, py + ph), fill=(grey, grey, grey + 3))  # the hole patched, the rubbish gone
    shot = ImageEnhance.Brightness(shot).enhance(rng.uniform(0.85, 1.15))
    arr = np.asarray(shot, np.float32) + np.random.default_rng(seed).normal(0, 4.0, (h, w, 3)).astype(np.float32)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def _far(point: tuple[float, float]) -> tuple[float, float]:
    return point[0] + 0.018, point[1]  # about 2 km north


def make_case(i: int, size: tuple[int, int] = (1280, 960)
              ) -> tuple[str, tuple[float, float], PhotoIn, list[AfterPhoto]]:
    """Case i: the report text, the place (WGS-84), its before-photo and its six after-photos."""
    street, place = STREETS[i % len(STREETS)]
    other_street, _ = STREETS[(i + 1) % len(STREETS)]
    number = 10 + i
    scene = sign_photo(f"{street}{number}号", seed=7000 + i, size=size, sign_width=0.5)
    before = PhotoIn(data=photo_bytes(scene, exif_time=REPORTED - timedelta(hours=2), gps=place),
                     filename=f"before{i}.jpg")
    text = f"{street}{number}号门前路面塌陷，井盖破损，请尽快修复。"
    after: list[AfterPhoto] = []
    for gps in (True, False):
        later = REPORTED + timedelta(days=2)
        same = reshoot(scene, seed=100_000 + 2 * i + gps)
        after.append(AfterPhoto(i, "same place", gps, PhotoIn(data=photo_bytes(
            same, exif_time=later, gps=_jitter(place, i) if gps else None))))
        other = sign_photo(f"{other_street}{number + 7}号", seed=9000 + i, size=size, sign_width=0.5)
        after.append(AfterPhoto(i, "other place", gps, PhotoIn(data=photo_bytes(
            other, exif_time=later, gps=_far(place) if gps else None))))
        early = reshoot(scene, seed=200_000 + 2 * i + gps)
        after.append(AfterPhoto(i, "before report", gps, PhotoIn(data=photo_bytes(
            early, exif_time=REPORTED - timedelta(days=1), gps=_jitter(place, i) if gps else None))))
    return text, place, before, after


def _jitter(place: tuple[float, float], i: int) -> tuple[float, float]:
    rng = random.Random(i)
    return place[0] + rng.uniform(-0.0003, 0.0003), place[1] + rng.uniform(-0.0003, 0.0003)




def evaluate_after_photos(cases: int = 20, settings: VerificationSettings | None = None,
                          photo_settings: PhotoSettings | None = None) -> dict[str, Any]:
    """Every after-photo of `cases` generated cases through PhotoReader.read and PhotoEvidence.check:
    outcomes per kind and GPS, and the share of photos with the right outcome."""
    if cases < 1:
        raise ValueError(f"cases must be 1 or more, got {cases}")
    reader = PhotoReader(photo_settings or PhotoSettings(ocr_threads=1), "wgs84", ZoneInfo("Asia/Shanghai"))
    reader.warm_up()
    checks = PhotoEvidence(settings or VerificationSettings())
    table: dict[str, Counter[str]] = {}
    reasons: Counter[str] = Counter()
    distances: dict[str, list[int]] = {kind: [] for kind in KINDS}
    right = total = 0
    for i in range(cases):
        text, place, before, after = make_case(i)
        before_facts = reader.read(before).facts
        case = VerifiedCase(text=text, reported_at=REPORTED, lat=place[0], lon=place[1], photos=(before_facts,))
        for shot in after:
            facts: PhotoFacts = reader.read(shot.photo).facts
            found = checks.check(case, (facts,))
            outcome = "fail" if found.failed else "person" if found.unsure else "pass"
            row = f"{shot.kind}, {'with' if shot.gps else 'no'} GPS"
            table.setdefault(row, Counter())[outcome] += 1
            reasons.update(m.code for m in (*found.failed, *found.unsure))
            scene = found.evidence["photos"][0].get("scene_distance")
            if scene is not None and not shot.gps:
                distances[shot.kind].append(scene)
            right += outcome == EXPECTED[shot.kind]
            total += 1
    return {"cases": cases, "photos": total, "accuracy": round(right / total, 4),
            "outcomes": {row: {k: counts.get(k, 0) for k in ("pass", "person", "fail")}
                         for row, counts in table.items()},
            "reasons": dict(reasons.most_common()),
            "scene_distance_without_gps": {kind: _spread(d) for kind, d in distances.items() if d},
            "thresholds": {"same_scene_max": checks.settings.same_scene_max_distance,
                           "other_scene_min": checks.settings.other_scene_min_distance}}


def _spread(values: list[int]) -> str:
    ordered = sorted(values)
    return f"min {ordered[0]}, median {ordered[len(ordered) // 2]}, max {ordered[-1]}"


def format_after_photos(result: dict[str, Any]) -> str:
    lines = [f"after-photo checks, {result['cases']} cases, {result['photos']} after-photos "
             "(place and time only; no vision backend)",
             f"{'kind':28s} {'pass':>5s} {'person':>7s} {'fail':>5s}  right outcome"]
    for row, counts in result["outcomes"].items():
        lines.append(f"{row:28s} {counts['pass']:>5d} {counts['person']:>7d} {counts['fail']:>5d}  "
                     f"{EXPECTED[row.split(',')[0]]}")
    lines.append(f"accuracy of the photo evidence: {result['accuracy']:.3f}")
    lines.append("scene distance without GPS (hash bits): " + "; ".join(
        f"{kind}: {spread}" for kind, spread in result["scene_distance_without_gps"].items()))
    lines.append(f"thresholds: same scene ≤ {result['thresholds']['same_scene_max']}, "
                 f"other scene ≥ {result['thresholds']['other_scene_min']}")
    lines.append("reasons: " + ", ".join(f"{code} {n}" for code, n in result["reasons"].items()))
    return "\n".join(lines)
