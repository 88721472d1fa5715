"""Intake: validate a report, mask personal data, and normalise the text used for matching."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from agent.masking import mask
from agent.types import IntakeResult, ReportIn
from classifiers.text import normalize

_READABLE = re.compile(r"[A-Za-z\u4e00-\u9fff]")


class ReportRejected(ValueError):
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

    def run(self, report: ReportIn) -> IntakeResult:
        text = (report.text or "").strip()
        title = (report.title or "").strip() or None
        if not text and not title:
            raise ReportRejected("the report text is empty: paste what the citizen reported and try again")
        if len(text) > self.max_chars:
            raise ReportRejected(
                f"the report text is {len(text)} characters, over the limit of {self.max_chars}: "
                "shorten it to the citizen's actual request, or raise `max_report_chars` in the settings"
            )
        combined = f"{title or ''} {text}".strip()
        if not _READABLE.search(combined):
            raise ReportRejected(
                "the report has no readable words (only digits, symbols or punctuation): "
                "check that the right field was pasted"
            )
        masked_text, found = mask(text)
        masked_title, found_in_title = mask(title) if title else (None, [])
        received = self._aware(report.received_at) or datetime.now(UTC)
        reported = self._aware(report.reported_at)
        return IntakeResult(
            text=masked_text,
            title=masked_title,
            matching_text=normalize(f"{masked_title or ''} {masked_text}"),
            channel=report.channel,
            received_at=received,
            reported_at=reported,
            address=report.address,
            lat=report.lat,
            lon=report.lon,
            contact=report.contact,
            external_id=report.external_id,
            personal_data=tuple(found_in_title) + tuple(found),
        )

    def _aware(self, value: datetime | None) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=self.local_time)
