"""How a briefing says its figures: the period's name, a change from the previous period, hours,
rates and times on the city's clock, in the reader's language (the message catalogue's `brief.*`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.briefings import BriefingPeriod, Count
from core.messages import lookup


def say(key: str, lang: str, **values: Any) -> str:
    return lookup(f"brief.{key}", lang, **values)


def day_text(day: date, lang: str) -> str:
    return say("day", lang, year=day.year, month=day.month, day=day.day)


def period_label(period: BriefingPeriod, lang: str) -> str:
    """"2026年3月2日" for a day, "2026年3月2日至2026年3月8日" for a week."""
    if period.kind == "day":
        return day_text(period.first_day, lang)
    return say("week_span", lang, first=day_text(period.first_day, lang), last=day_text(period.last_day, lang))


def kind_name(period: BriefingPeriod, lang: str) -> str:
    return say(f"kind.{period.kind}", lang)


def local_time(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def change(count: Count, lang: str, unit: str = "") -> str:
    """"较上期增加3件", "较上期减少2件" or "与上期持平"."""
    if count.change > 0:
        return say("change.up", lang, n=count.change, unit=unit)
    if count.change < 0:
        return say("change.down", lang, n=-count.change, unit=unit)
    return say("change.same", lang)


def signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def street_name(name: str, lang: str) -> str:
    return name or say("street_unknown", lang)


def status_name(status: str, lang: str) -> str:
    return lookup(f"status.{status}", lang, default=status)
