"""The photo half of verification (智能核查): was each after-photo taken at the reported place, after
the report, and does the text on it agree with the report?

- Time: an EXIF capture time before the report fails; no time goes to a person.
- Place: EXIF GPS against the case's coordinates (farther than `photo_max_km` fails). Without GPS
  on both sides, the after-photo is compared with the report's own photos by perceptual hashes
  (`photo_distance`, whole frames and centre crops): at most `same_scene_max_distance` bits from
  one of them is the same scene, at least `other_scene_min_distance` from all of them another scene
  (fails), between them a person decides; with neither GPS nor report photos, a person decides.
- Text: places (…路, …街, …小区) and plate numbers read on the after-photo that the report and its
  photos never name, while they do name some, go to a person: the photo may show another place or
  another vehicle. A sign of the next street at a crossing is common, so this never fails alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from classifiers.photos.hashing import PhotoHashes, photo_distance
from classifiers.replies import PLACE
from core.masking import PLATE
from core.messages import Message, message
from core.photo_types import PhotoFacts
from core.settings import VerificationSettings
from core.types import VerifiedCase
from knowledge.places import distance_km


@dataclass
class PhotoFindings:
    failed: list[Message] = field(default_factory=list)
    unsure: list[Message] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)


class PhotoEvidence:
    def __init__(self, settings: VerificationSettings) -> None:
        if settings.same_scene_max_distance >= settings.other_scene_min_distance:
            raise ValueError(f"same_scene_max_distance ({settings.same_scene_max_distance}) must be below "
                             f"other_scene_min_distance ({settings.other_scene_min_distance})")
        self.settings = settings

    def warm_up(self) -> None:
        """Nothing to load; present so every component is used the same way."""

    def check(self, case: VerifiedCase, photos: tuple[PhotoFacts, ...]) -> PhotoFindings:
        found = PhotoFindings()
        report_text = " ".join([case.title or "", case.text, *(p.ocr_text for p in case.photos)])
        named = _names(report_text)
        seen: list[dict[str, Any]] = []
        for i, photo in enumerate(photos, 1):
            facts: dict[str, Any] = {"photo": i, "taken_at": photo.taken_at}
            if photo.taken_at is None:
                found.unsure.append(message("verify.photo_no_time", photo=i))
            elif photo.taken_at < case.reported_at:
                found.failed.append(message("verify.photo_before_report", photo=i))
            self._place(case, photo, i, facts, found)
            self._text(named, photo, i, facts, found)
            seen.append(facts)
        found.evidence["photos"] = seen
        return found

    def _place(self, case: VerifiedCase, photo: PhotoFacts, i: int, facts: dict[str, Any],
               found: PhotoFindings) -> None:
        s = self.settings
        if case.photos:
            facts["scene_distance"] = min(photo_distance(_hashes(photo), _hashes(b)) for b in case.photos)
        if photo.lat is not None and photo.lon is not None and case.lat is not None and case.lon is not None:
            km = distance_km(photo.lat, photo.lon, case.lat, case.lon)
            facts["km_from_place"] = round(km, 3)
            if km > s.photo_max_km:
                found.failed.append(message("verify.photo_elsewhere", photo=i, metres=round(km * 1000)))
            return
        distance = facts.get("scene_distance")
        if distance is None:
            found.unsure.append(message("verify.photo_no_place", photo=i))
        elif distance <= s.same_scene_max_distance:
            facts["scene"] = "same"
        elif distance >= s.other_scene_min_distance:
            facts["scene"] = "other"
            found.failed.append(message("verify.photo_other_scene", photo=i, bits=distance))
        else:
            facts["scene"] = "unclear"
            found.unsure.append(message("verify.photo_scene_unsure", photo=i, bits=distance))

    @staticmethod
    def _text(named: tuple[set[str], set[str]], photo: PhotoFacts, i: int, facts: dict[str, Any],
              found: PhotoFindings) -> None:
        places, plates = _names(photo.ocr_text)
        other_places = sorted(p for p in places if named[0] and not any(_same(p, q) for q in named[0]))
        other_plates = sorted(plates - named[1]) if named[1] else []
        if other_places or other_plates:
            facts["other_names"] = other_places + other_plates
            found.unsure.append(message("verify.photo_text_other", photo=i,
                                        names="、".join(other_places + other_plates)))


def _names(text: str) -> tuple[set[str], set[str]]:
    """Places and plate numbers named in a text (plates without their separator dot)."""
    plates = {m.group(0).replace("·", "").replace(" ", "") for m in PLATE.finditer(text)}
    return set(PLACE.findall(text)), plates


def _same(a: str, b: str) -> bool:
    """One place named twice, one name perhaps with a district or number prefix (金水区文化路 / 文化路)."""
    return a.endswith(b) or b.endswith(a)


def _hashes(photo: PhotoFacts) -> PhotoHashes:
    return PhotoHashes(photo.phash, photo.dhash, photo.crop_hashes)
