"""The dashboard's figures, each one SQL aggregate over the case store (never a loop over cases):
cases per category and department today and this week (the city's calendar), the auto-dispatch
rate, the share people edited, overdue counts, and the hot issues: open cases whose reports grew
fastest in the last 24 hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, distinct, func, select
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from agent.lifecycle import ATTRACTS_DUPLICATES, OPEN
from agent.store.models import AuditRow, CaseRow, ReportRow
from agent.store.store import AUTO_DISPATCHER, CaseStore
from core import clock
from core.records import CategoryFigure, DashboardFigures, DepartmentFigure, HotIssue, OverdueDepartment

EDITS = ("case.edited", "case.reassigned")
TOP = 12


@dataclass(frozen=True)
class Windows:
    now: datetime
    today: datetime  # the city's midnight, in UTC
    week: datetime  # the city's Monday 00:00, in UTC


def windows(zone: str, now: datetime) -> Windows:
    """The city's day and week that contain `now`, as UTC bounds."""
    now = now.astimezone(UTC)
    local = now.astimezone(ZoneInfo(zone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    monday = midnight - timedelta(days=midnight.weekday())
    return Windows(now, midnight.astimezone(UTC), monday.astimezone(UTC))


def dashboard_figures(store: CaseStore, zone: str) -> DashboardFigures:
    """The figures of the city's day and week (in the IANA time zone `zone`) at the clock's now."""
    w = windows(zone, clock.now())
    counted = CaseRow.status != "merged"  # a case merged into another is that other case
    today_n = func.sum(when((CaseRow.created_at >= w.today, 1), else_=0))
    week_n = func.count(CaseRow.id)
    this_week = select(CaseRow.id).where(CaseRow.created_at >= w.week, counted)

    def per(column: Any, *names: Any) -> Select[Any]:
        return (select(column, *names, today_n, week_n).where(CaseRow.created_at >= w.week, counted)
                .group_by(column, *names).order_by(week_n.desc(), column).limit(TOP))

    def cases_with(*conditions: ColumnElement[bool]) -> Select[Any]:
        return select(func.count(distinct(AuditRow.case_id))).where(AuditRow.case_id.in_(this_week), *conditions)

    with store.session() as s:
        totals = s.execute(select(today_n, week_n).where(CaseRow.created_at >= w.week, counted)).one()
        week_total = int(totals[1] or 0)
        auto = int(s.scalar(cases_with(AuditRow.actor == AUTO_DISPATCHER, AuditRow.event == "case.transition")) or 0)
        edited = int(s.scalar(cases_with(AuditRow.event.in_(EDITS))) or 0)
        people = int(s.scalar(cases_with(AuditRow.stage == "review", ~AuditRow.actor.startswith("gridtriage"))) or 0)
        categories = [CategoryFigure(id=r[0], name=r[1], today=int(r[2] or 0), week=int(r[3]))
                      for r in s.execute(per(CaseRow.category_id, CaseRow.category_name))]
        departments = [DepartmentFigure(id=r[0], today=int(r[1] or 0), week=int(r[2]))
                       for r in s.execute(per(CaseRow.lead_department_id))]
        late = (CaseRow.resolve_by < w.now) & CaseRow.status.in_(OPEN)
        overdue = {str(p): int(n) for p, n in s.execute(
            select(CaseRow.priority, func.count()).where(late).group_by(CaseRow.priority))}
        overdue_departments = [OverdueDepartment(id=d, count=int(n)) for d, n in s.execute(
            select(CaseRow.lead_department_id, func.count().label("n")).where(late)
            .group_by(CaseRow.lead_department_id).order_by(func.count().desc(), CaseRow.lead_department_id).limit(5))]
        open_total = int(s.scalar(select(func.count()).select_from(CaseRow).where(CaseRow.status.in_(OPEN))) or 0)
        hot = _hot(s, w.now)
    return DashboardFigures(
        today=int(totals[0] or 0), week=week_total, open=open_total,
        auto_dispatched=auto, auto_dispatch_rate=auto / week_total if week_total else 0.0,
        edited=edited, edited_share=edited / week_total if week_total else 0.0,
        decided_by_people=people, categories=categories, departments=departments,
        overdue=sum(overdue.values()), overdue_by_priority=overdue, overdue_departments=overdue_departments,
        hot=hot, week_start=w.week, today_start=w.today,
    )


def _hot(s: Session, now: datetime, limit: int = 8) -> list[HotIssue]:
    """Open cases with more than one report, by reports in the last 24 h, then growth over the 24 h
    before, then size."""
    recent = func.sum(when((ReportRow.received_at >= now - timedelta(hours=24), 1), else_=0))
    before = func.sum(when(((ReportRow.received_at >= now - timedelta(hours=48))
                            & (ReportRow.received_at < now - timedelta(hours=24)), 1), else_=0))
    rows = s.execute(
        select(CaseRow.id, CaseRow.title, CaseRow.category_name, CaseRow.lead_department_id, CaseRow.status,
               CaseRow.reporter_count, recent.label("recent"), before.label("before"))
        .join(ReportRow, ReportRow.case_id == CaseRow.id)
        .where(CaseRow.status.in_(ATTRACTS_DUPLICATES), CaseRow.reporter_count > 1)
        .group_by(CaseRow.id)
        .having(recent > 0)
        .order_by(recent.desc(), (recent - before).desc(), CaseRow.reporter_count.desc(), CaseRow.id)
        .limit(limit))
    return [HotIssue(id=r.id, title=r.title, category=r.category_name, department=r.lead_department_id,
                     status=r.status, reporters=int(r.reporter_count), last_24h=int(r.recent or 0),
                     before=int(r.before or 0)) for r in rows]
