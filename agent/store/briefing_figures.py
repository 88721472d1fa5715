"""A briefing's figures (专报), read from the case store for one period and the period before it:
volumes by category, street and lead department, the hot issues, the overdue cases, the urgent
cases, and the departments' performance (agent/store/briefing_performance.py). Each figure is an
SQL aggregate over the two periods at once; Python only folds leaves into their first-level
category and names the ids."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ColumnElement, Row, func, select
from sqlalchemy import case as when
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from agent.lifecycle import OPEN
from agent.store.briefing_names import Names
from agent.store.briefing_performance import department_times, satisfaction, verification, within
from agent.store.models import CaseRow, ReportRow
from agent.store.store import CaseStore
from core.briefings import (
    BriefingFigures,
    BriefingHotIssue,
    BriefingPeriod,
    Count,
    Overdue,
    OverdueCase,
    OverdueDepartmentRow,
    UrgentCase,
    VolumeRow,
    Volumes,
)
from knowledge.loader import KnowledgeBase

HOT = 10  # hot issues listed
LATE = 10  # overdue cases listed
FINISHED = ("closed", "rejected", "merged")  # states with no step deadline running


def briefing_figures(store: CaseStore, kb: KnowledgeBase, period: BriefingPeriod) -> BriefingFigures:
    """Every figure of `period`; the overdue ones as of `period.as_of`."""
    names = Names(kb)
    with store.session() as s:
        times, response, disposal = department_times(s, period, names)
        checked, checked_by_department = verification(s, period, names)
        satisfied, satisfied_by_department = satisfaction(s, period, names)
        return BriefingFigures(
            period=period, volumes=_volumes(s, period, names), hot=_hot(s, period, names),
            overdue=_overdue(s, period.as_of, names), response=response, disposal=disposal, times=times,
            verification=checked, verification_by_department=checked_by_department,
            satisfaction=satisfied, satisfaction_by_department=satisfied_by_department,
            urgent=_urgent(s, period, names))


def split(column: InstrumentedAttribute[datetime],
          period: BriefingPeriod) -> tuple[ColumnElement[int], ColumnElement[int]]:
    """Counts of rows whose `column` falls in the period and in the previous one."""
    current = func.sum(when((column >= period.start, 1), else_=0))
    previous = func.sum(when((column < period.start, 1), else_=0))
    return current, previous


def _volumes(s: Session, period: BriefingPeriod, names: Names) -> Volumes:
    keys = (CaseRow.category_id, CaseRow.street_id, CaseRow.lead_department_id)
    cases_now, cases_before = split(CaseRow.created_at, period)
    reports_now, reports_before = split(ReportRow.received_at, period)
    cases = (
        select(*keys, cases_now, cases_before)
        .where(within(CaseRow.created_at, period), CaseRow.status != "merged").group_by(*keys))
    reports = (
        select(*keys, reports_now, reports_before).join(ReportRow, ReportRow.case_id == CaseRow.id)
        .where(within(ReportRow.received_at, period)).group_by(*keys))
    case_rows, report_rows = s.execute(cases).all(), s.execute(reports).all()

    def fold(key: Callable[[str, str | None, str], str], name: Callable[[str], str]) -> list[VolumeRow]:
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for offset, rows in ((0, case_rows), (2, report_rows)):
            for category, street, department, now, before in rows:
                sums = totals[key(category, street, department)]
                sums[offset] += int(now or 0)
                sums[offset + 1] += int(before or 0)
        volume = [VolumeRow(id=k, name=name(k), cases=Count.of(v[0], v[1]), reports=Count.of(v[2], v[3]))
                  for k, v in totals.items()]
        return sorted(volume, key=lambda r: (-r.cases.current, -r.reports.current, -r.cases.previous, r.id))

    return Volumes(
        cases=Count.of(sum(int(r[3] or 0) for r in case_rows), sum(int(r[4] or 0) for r in case_rows)),
        reports=Count.of(sum(int(r[3] or 0) for r in report_rows), sum(int(r[4] or 0) for r in report_rows)),
        by_category=fold(lambda c, _s, _d: names.top_category(c), names.category),
        by_street=fold(lambda _c, street, _d: street or "", names.street),
        by_department=fold(lambda _c, _s, d: d, names.department))


def _hot(s: Session, period: BriefingPeriod, names: Names) -> list[BriefingHotIssue]:
    """Clusters (a case with the cases merged into it) with at least two reports in the period whose
    reports grew most over the previous period; then the most reports, the most reporters."""
    cluster = func.coalesce(CaseRow.merged_into, CaseRow.id)
    now, before = split(ReportRow.received_at, period)
    counts = (select(cluster.label("case_id"), now.label("now"), before.label("before"))
              .select_from(ReportRow).join(CaseRow, ReportRow.case_id == CaseRow.id)
              .where(within(ReportRow.received_at, period)).group_by(cluster).subquery())
    target = aliased(CaseRow)
    growth = counts.c.now - counts.c.before
    rows = s.execute(
        select(target.id, target.title, target.category_id, target.lead_department_id, target.street_id,
               target.status, target.reporter_count, counts.c.now, counts.c.before)
        .join(counts, counts.c.case_id == target.id)
        .where(counts.c.now >= 2, growth > 0)
        .order_by(growth.desc(), counts.c.now.desc(), target.reporter_count.desc(), target.id).limit(HOT))
    return [BriefingHotIssue(id=r.id, title=r.title, category=names.category(names.top_category(r.category_id)),
                             department=names.department(r.lead_department_id), street=names.street(r.street_id),
                             status=r.status, reporters=int(r.reporter_count), reports=int(r.now),
                             previous=int(r.before), growth=int(r.now) - int(r.before)) for r in rows]


def _overdue(s: Session, now: datetime, names: Names) -> Overdue:
    late = CaseRow.status.in_(OPEN) & (CaseRow.resolve_by < now)
    step_late = CaseRow.status.not_in(FINISHED) & CaseRow.due_by.is_not(None) & (CaseRow.due_by < now)
    by_department = [
        OverdueDepartmentRow(id=d, name=names.department(d), past_resolve_by=int(a or 0), past_due_by=int(b or 0))
        for d, a, b in s.execute(
            select(CaseRow.lead_department_id, func.sum(when((late, 1), else_=0)),
                   func.sum(when((step_late, 1), else_=0)))
            .where(late | step_late).group_by(CaseRow.lead_department_id))]
    by_department.sort(key=lambda r: (-r.past_resolve_by, -r.past_due_by, r.id))
    deadlines = s.execute(select(CaseRow.id, CaseRow.status, CaseRow.resolve_by, CaseRow.due_by)
                          .where(late | step_late)).all()

    def passed(row: Row[int, str, datetime, datetime | None]) -> datetime:
        _, status, resolve_by, due_by = row
        missed = [due_by] if due_by is not None and due_by < now and status not in FINISHED else []
        if status in OPEN and resolve_by < now:
            missed.append(resolve_by)
        return min(missed)

    latest = sorted(deadlines, key=lambda r: (passed(r), r.id))[:LATE]
    since = {r.id: passed(r) for r in latest}
    rows = {r.id: r for r in s.scalars(select(CaseRow).where(CaseRow.id.in_(since)))}
    cases = [OverdueCase(id=i, title=rows[i].title, department=names.department(rows[i].lead_department_id),
                         status=rows[i].status, priority=rows[i].priority, urgent=rows[i].urgent,
                         resolve_by=rows[i].resolve_by, due_by=rows[i].due_by,
                         past_resolve_by=rows[i].status in OPEN and rows[i].resolve_by < now,
                         hours_late=(now - at).total_seconds() / 3600) for i, at in since.items()]
    return Overdue(as_of=now, past_resolve_by=sum(r.past_resolve_by for r in by_department),
                   past_due_by=sum(r.past_due_by for r in by_department), by_department=by_department, cases=cases)


def _urgent(s: Session, period: BriefingPeriod, names: Names) -> list[UrgentCase]:
    rows = s.scalars(select(CaseRow).where(
        CaseRow.urgent.is_(True), CaseRow.status != "merged", CaseRow.created_at >= period.start,
        CaseRow.created_at < period.end).order_by(CaseRow.created_at, CaseRow.id))
    return [UrgentCase(id=r.id, title=r.title, category=names.category(names.top_category(r.category_id)),
                       department=names.department(r.lead_department_id), street=names.street(r.street_id),
                       status=r.status, created_at=r.created_at,
                       overdue=r.status in OPEN and r.resolve_by < period.as_of) for r in rows]
