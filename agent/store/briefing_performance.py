"""The departments' performance in a briefing's period and the one before: how long they took to
respond and to dispose (from the audit log's lifecycle moves and the disposals table), how their
disposals fared in verification, and what citizens said at the callback. A time counts in the
period its event happened in; a verification in the period its disposal was reported in."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy import case as when
from sqlalchemy.orm import InstrumentedAttribute, Session

from agent.store.briefing_names import Names
from agent.store.models import AuditRow, CallbackRow, CaseRow, DisposalRow
from core.briefings import BriefingPeriod, DepartmentTimes, Durations, SatisfactionRow, VerificationRow

RESPONDED = ("handling", "disposed")  # a department has taken the case up
ALL = "all"  # the id of a city-wide row


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least `share` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def durations(current: list[float], previous: list[float]) -> Durations:
    return Durations(count=len(current), median_hours=statistics.median(current) if current else None,
                     p90_hours=percentile(current, 0.9), previous_count=len(previous),
                     previous_median_hours=statistics.median(previous) if previous else None)


def department_times(s: Session, period: BriefingPeriod,
                     names: Names) -> tuple[list[DepartmentTimes], Durations, Durations]:
    """Per lead department and city-wide: created → first move to handling or disposed, and
    created → the first disposal (by the department that reported it)."""
    first = (select(AuditRow.case_id, func.min(AuditRow.created_at).label("at"))
             .where(AuditRow.event == "case.transition", AuditRow.payload["to"].as_string().in_(RESPONDED),
                    AuditRow.created_at < period.end)  # a first move after the period does not count in it
             .group_by(AuditRow.case_id).subquery())
    responses = s.execute(select(CaseRow.lead_department_id, CaseRow.created_at, first.c.at)
                          .join(first, first.c.case_id == CaseRow.id)
                          .where(first.c.at >= period.previous_start, first.c.at < period.end)).all()
    disposals = s.execute(select(DisposalRow.department_id, CaseRow.created_at, DisposalRow.created_at)
                          .join(CaseRow, CaseRow.id == DisposalRow.case_id)
                          .where(DisposalRow.attempt == 1, within(DisposalRow.created_at, period))).all()
    response, disposal = _hours(responses, period), _hours(disposals, period)
    departments = sorted(set(response) | set(disposal))
    empty: tuple[list[float], list[float]] = ([], [])
    times = [DepartmentTimes(id=d, name=names.department(d), response=durations(*response.get(d, empty)),
                             disposal=durations(*disposal.get(d, empty))) for d in departments]
    return times, _pooled(response), _pooled(disposal)


def _hours(rows: Iterable[tuple[str, datetime, datetime]],
           period: BriefingPeriod) -> dict[str, tuple[list[float], list[float]]]:
    """Hours from creation to the event, per department: (in the period, in the previous period)."""
    found: dict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    for department, created, at in rows:
        found[department][0 if at >= period.start else 1].append((at - created).total_seconds() / 3600)
    return found


def _pooled(per_department: dict[str, tuple[list[float], list[float]]]) -> Durations:
    return durations([h for now, _ in per_department.values() for h in now],
                     [h for _, before in per_department.values() for h in before])


def verification(s: Session, period: BriefingPeriod, names: Names) -> tuple[VerificationRow, list[VerificationRow]]:
    """Disposals reported in the period, per department: the machine's verdicts, a supervisor's
    decisions, and the final fail rate (a decision where there is one, else the verdict)."""
    now = DisposalRow.created_at >= period.start
    final = func.coalesce(DisposalRow.decided_verdict, DisposalRow.verdict)
    sums = [_count(now), _count(~now),
            *(_count(now & (DisposalRow.verdict == v)) for v in ("pass", "needs_person", "fail")),
            *(_count(now & (DisposalRow.decided_verdict == v)) for v in ("pass", "fail")),
            _count(now & (final == "fail")), _count(~now & (final == "fail"))]
    rows = {d: [int(n or 0) for n in counts] for d, *counts in s.execute(
        select(DisposalRow.department_id, *sums).where(within(DisposalRow.created_at, period))
        .group_by(DisposalRow.department_id))}
    total = [sum(column) for column in zip(*rows.values(), strict=True)] or [0] * len(sums)
    by_department = [_verification_row(d, names.department(d), c) for d, c in rows.items()]
    by_department.sort(key=lambda r: (-(r.fail_rate or 0), -r.disposals, r.id))
    return _verification_row(ALL, "", total), by_department


def _verification_row(department: str, name: str, c: list[int]) -> VerificationRow:
    disposals, previous, passed, needs_person, failed, decided_pass, decided_fail, final_fail, previous_fail = c
    return VerificationRow(id=department, name=name, disposals=disposals, passed=passed, needs_person=needs_person,
                           failed=failed, decided_pass=decided_pass, decided_fail=decided_fail, final_fail=final_fail,
                           fail_rate=_rate(final_fail, disposals), previous_disposals=previous,
                           previous_fail_rate=_rate(previous_fail, previous))


def satisfaction(s: Session, period: BriefingPeriod, names: Names) -> tuple[SatisfactionRow, list[SatisfactionRow]]:
    """Callbacks taken in the period, and reopenings in it, per lead department of the case."""
    now = CallbackRow.created_at >= period.start
    content = CallbackRow.satisfaction.in_(("satisfied", "basically"))
    sums = [_count(now), *(_count(now & (CallbackRow.satisfaction == v))
                           for v in ("satisfied", "basically", "unsatisfied")),
            _count(~now), _count(~now & content)]
    found: dict[str, list[int]] = defaultdict(lambda: [0] * 8)
    for d, *counts in s.execute(select(CaseRow.lead_department_id, *sums)
                                .join(CaseRow, CaseRow.id == CallbackRow.case_id)
                                .where(within(CallbackRow.created_at, period)).group_by(CaseRow.lead_department_id)):
        found[d][:6] = [int(n or 0) for n in counts]
    reopened = AuditRow.created_at >= period.start
    for d, now_n, before_n in s.execute(
            select(CaseRow.lead_department_id, _count(reopened), _count(~reopened))
            .join(CaseRow, CaseRow.id == AuditRow.case_id)
            .where(AuditRow.event == "case.transition", AuditRow.payload["to"].as_string() == "reopened",
                   within(AuditRow.created_at, period)).group_by(CaseRow.lead_department_id)):
        found[d][6:] = [int(now_n or 0), int(before_n or 0)]
    total = [sum(column) for column in zip(*found.values(), strict=True)] or [0] * 8
    by_department = [_satisfaction_row(d, names.department(d), c) for d, c in found.items()]
    by_department.sort(key=lambda r: (-r.unsatisfied, -r.reopened, -r.callbacks, r.id))
    return _satisfaction_row(ALL, "", total), by_department


def _satisfaction_row(department: str, name: str, c: list[int]) -> SatisfactionRow:
    callbacks, satisfied, basically, unsatisfied, previous, previous_content, reopened, previous_reopened = c
    return SatisfactionRow(id=department, name=name, callbacks=callbacks, satisfied=satisfied, basically=basically,
                           unsatisfied=unsatisfied, satisfaction_rate=_rate(satisfied + basically, callbacks),
                           reopened=reopened, previous_callbacks=previous,
                           previous_satisfaction_rate=_rate(previous_content, previous),
                           previous_reopened=previous_reopened)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(when((condition, 1), else_=0))


def within(column: InstrumentedAttribute[datetime], period: BriefingPeriod) -> ColumnElement[bool]:
    """The period and the previous one."""
    return (column >= period.previous_start) & (column < period.end)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None
