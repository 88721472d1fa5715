"""Briefings (专报): the period a daily or weekly briefing covers, on the city's calendar, and the
figures it reports, each beside the previous period's where a period has one. Frozen pydantic
models; every time in them is timezone-aware UTC, the period's days are the city's."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from core.frozen import Frozen
from core.messages import Refusal, message
from core.records import IsoTime

PeriodKind = Literal["day", "week"]
PERIODS: tuple[PeriodKind, ...] = ("day", "week")
EARLIEST = date(2000, 1, 1)  # a briefing of an earlier day is a typo, not a request


class BriefingPeriod(Frozen):
    """The city's calendar day, or its Monday-to-Sunday week, as UTC bounds; the previous period
    ends where this one starts."""

    kind: PeriodKind
    first_day: date
    last_day: date
    start: IsoTime
    end: IsoTime  # exclusive
    previous_start: IsoTime
    timezone: str
    complete: bool  # False while the period is still running: its figures will grow
    as_of: IsoTime  # when the figures were read


def briefing_period(kind: str, day: str | date | None, zone: str, now: datetime) -> BriefingPeriod:
    """The period of `kind` containing `day` (an ISO date); without one, the last complete period
    before `now`. Refuses an unknown kind, a malformed date, and a date after the city's today."""
    if kind not in PERIODS:
        raise Refusal(message("brief.period_unknown", period=kind, options=", ".join(PERIODS)))
    city = ZoneInfo(zone)
    today = now.astimezone(city).date()
    if day is None:
        day = today - timedelta(days=1 if kind == "day" else 7)
    elif isinstance(day, str):
        text = day
        try:
            day = date.fromisoformat(text.strip())
        except ValueError:
            raise Refusal(message("brief.date_bad", date=text[:40])) from None
    if day > today:
        raise Refusal(message("brief.date_future", date=day.isoformat(), today=today.isoformat()))
    if day < EARLIEST:
        raise Refusal(message("brief.date_too_old", date=day.isoformat(), earliest=EARLIEST.isoformat()))
    length = 1 if kind == "day" else 7
    first = day if kind == "day" else day - timedelta(days=day.weekday())
    last = first + timedelta(days=length - 1)

    def midnight(d: date) -> datetime:
        return datetime.combine(d, time(0), tzinfo=city).astimezone(UTC)

    end = midnight(last + timedelta(days=1))
    return BriefingPeriod(kind=kind, first_day=first, last_day=last, start=midnight(first),
                          end=end, previous_start=midnight(first - timedelta(days=length)),
                          timezone=zone, complete=end <= now, as_of=now.astimezone(UTC))


class Count(Frozen):
    """A count in the period, in the previous period, and the change between them."""

    current: int
    previous: int
    change: int

    @classmethod
    def of(cls, current: int, previous: int) -> Count:
        return cls(current=current, previous=previous, change=current - previous)


class VolumeRow(Frozen):
    """New cases and reports of one category, street or department."""

    id: str
    name: str
    cases: Count
    reports: Count


class Volumes(Frozen):
    cases: Count  # new cases (a case merged into another counts as that other)
    reports: Count  # reports received, whatever case they joined
    by_category: list[VolumeRow]  # first-level categories
    by_street: list[VolumeRow]  # "" for cases whose street is not known
    by_department: list[VolumeRow]  # lead departments


class BriefingHotIssue(Frozen):
    """A case, with the cases merged into it, whose reports grew fastest in the period."""

    id: int
    title: str
    category: str
    department: str
    street: str
    status: str
    reporters: int  # every report of the case
    reports: int  # reports received in the period
    previous: int  # reports received in the previous period
    growth: int  # reports − previous


class OverdueCase(Frozen):
    id: int
    title: str
    department: str
    status: str
    priority: str
    urgent: bool
    resolve_by: IsoTime
    due_by: IsoTime | None
    past_resolve_by: bool
    hours_late: float  # since the earlier of the deadlines it has passed


class OverdueDepartmentRow(Frozen):
    id: str
    name: str
    past_resolve_by: int
    past_due_by: int


class Overdue(Frozen):
    """Open cases past a deadline when the figures were read (`as_of`): a snapshot, with no
    previous period."""

    as_of: IsoTime
    past_resolve_by: int  # open and past the case's resolve-by time
    past_due_by: int  # past the deadline of the step the case is in
    by_department: list[OverdueDepartmentRow]
    cases: list[OverdueCase]  # the latest first, at most ten


class Durations(Frozen):
    """Hours from a case's creation to an event that happened in the period (median and p90 by
    nearest rank), with the previous period's count and median."""

    count: int
    median_hours: float | None
    p90_hours: float | None
    previous_count: int
    previous_median_hours: float | None


class DepartmentTimes(Frozen):
    id: str
    name: str
    response: Durations  # created → first move to handling or to disposed
    disposal: Durations  # created → first disposal


class VerificationRow(Frozen):
    """Disposals reported in the period and their verification (智能核查)."""

    id: str
    name: str
    disposals: int
    passed: int  # the machine's verdicts
    needs_person: int
    failed: int
    decided_pass: int  # a supervisor's decisions
    decided_fail: int
    final_fail: int  # the supervisor's decision where there is one, else the machine's verdict
    fail_rate: float | None  # final_fail / disposals
    previous_disposals: int
    previous_fail_rate: float | None


class SatisfactionRow(Frozen):
    """Callbacks (回访) taken in the period, and cases reopened in it, of the cases a department leads."""

    id: str
    name: str
    callbacks: int
    satisfied: int
    basically: int
    unsatisfied: int
    satisfaction_rate: float | None  # (satisfied + basically) / callbacks
    reopened: int
    previous_callbacks: int
    previous_satisfaction_rate: float | None
    previous_reopened: int


class UrgentCase(Frozen):
    id: int
    title: str
    category: str
    department: str
    street: str
    status: str
    created_at: IsoTime
    overdue: bool  # open and past its resolve-by time now


class BriefingFigures(Frozen):
    period: BriefingPeriod
    volumes: Volumes
    hot: list[BriefingHotIssue]
    overdue: Overdue
    response: Durations  # city-wide
    disposal: Durations
    times: list[DepartmentTimes]
    verification: VerificationRow  # city-wide, id "all"
    verification_by_department: list[VerificationRow]
    satisfaction: SatisfactionRow  # city-wide, id "all"
    satisfaction_by_department: list[SatisfactionRow]
    urgent: list[UrgentCase]


class BriefingNarrative(Frozen):
    """The briefing's prose: from a template over the figures, or a language model's, checked to
    state only the figures' numbers (else the template's, with the reason)."""

    text: str
    source: Literal["template", "llm"]
    fallback_reason: str | None = None
    model: str | None = None


class Briefing(Frozen):
    figures: BriefingFigures
    narrative: BriefingNarrative
