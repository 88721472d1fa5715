"""Intake: validate a report, mask personal data, and normalise the text used for matching. Text read
from the report's photos joins the matching text, kept apart from what the citizen wrote; a photo's
capture time and GPS stand in for a report time and map pin that were not given."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from classifiers.readability import nonsense_reason
from classifiers.text import normalize
from core import clock
from core.masking import mask
from core.messages import Refusal, message
from core.photo_types import PhotoFacts
from core.types import IntakeResult, ReportIn

READABLE = re.compile(r"[A-Za-z\u4e00-\u9fff]")


class ReportRejected(Refusal):
    """A report that cannot be triaged; the message says what was wrong and what to do."""


class IntakeStage:
    def __init__(self, max_chars: int = 5000, local_time: tzinfo = UTC) -> None:
        """`local_time` is the zone of times given without one (the city's own clock)."""
        if max_chars < 10:
            raise ValueError("max_chars must be at least 10")
        self.max_chars = max_chars
        self.local_time = local_time

    def warm_up(self) -> None:
        """Nothing to load; present so every stage is used the same way."""

    def run(self, report: ReportIn, photos: Sequence[PhotoFacts] = ()) -> IntakeResult:
        """`photos` are the report's photos as read (validated, OCR, EXIF); a report with photos may
        have no text."""
        text = (report.text or "").strip()
        title = (report.title or "").strip() or None
        if not text and not title and not photos:
            raise ReportRejected(message("report.empty"))
        if len(text) > self.max_chars:
            raise ReportRejected(message("report.too_long", n=len(text), limit=self.max_chars))
        combined = f"{title or ''} {text}".strip()
        if not photos and not READABLE.search(combined):
            raise ReportRejected(message("report.no_words"))
        nonsense = nonsense_reason(combined) if not photos else None  # a photo may say what the text does not
        if nonsense:
            raise ReportRejected(message(nonsense))
        masked_text, found = mask(text)
        masked_title, found_in_title = mask(title) if title else (None, [])
        masked_photos, found_in_photos = [], []
        for photo in photos:
            ocr_text, found_here = mask(photo.ocr_text)
            masked_photos.append(photo.model_copy(update={"ocr_text": ocr_text, "ocr_lines": tuple(
                line.model_copy(update={"text": mask(line.text)[0]}) for line in photo.ocr_lines)}))
            found_in_photos.extend(found_here)
        photo_text = " ".join(p.ocr_text for p in masked_photos if p.ocr_text)
        received = self._aware(report.received_at) or clock.now()
        taken = [p.taken_at for p in photos if p.taken_at is not None]
        reported = self._aware(report.reported_at) or (min(taken) if taken else None)
        lat, lon = report.lat, report.lon
        if lat is None or lon is None:
            pinned = next((p for p in photos if p.lat is not None and p.lon is not None), None)
            lat, lon = (pinned.lat, pinned.lon) if pinned else (None, None)
        return IntakeResult(
            text=masked_text,
            title=masked_title,
            matching_text=normalize(f"{masked_title or ''} {masked_text} {photo_text}").strip(),
            channel=report.channel,
            received_at=received,
            reported_at=reported,
            address=report.address,
            lat=lat,
            lon=lon,
            contact=report.contact,
            external_id=report.external_id,
            personal_data=tuple(found_in_title) + tuple(found) + tuple(found_in_photos),
            photos=tuple(masked_photos),
            photo_text=photo_text,
        )

    def _aware(self, value: datetime | None) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=self.local_time)
