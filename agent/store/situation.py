"""The situation picture's figures (core/situation.py), read from the case store: SQL aggregates for
the counts, one bounded select for the points, the countdowns and the urgent cases. The hourly
trend groups case creations by quarter hour in SQL (every UTC offset is a multiple of 15 minutes),
so Python folds at most 8 × 96 rows into the city's wall-clock hours, daylight saving included.
Names and the street-centre fallback for a case without a point come from the knowledge base."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, ColumnElement, cast, func, select
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from agent.lifecycle import OPEN
from agent.store.briefing_names import Names
from agent.store.models import CaseRow
from agent.store.queries import PRIORITY_ORDER
from agent.store.store import CaseStore
from core import clock
from core.situation import AreaLoad, CasePoint, Countdown, DepartmentLoad, HourFigure, Situation, UrgentCase
from knowledge.loader import KnowledgeBase

POINTS = 2000  # open cases drawn on the map, the most pressing first
COUNTDOWNS = 20
URGENT = 20
WAITING = ("received", "accepted")  # not yet answered: the respond-by time runs
PAST_DAYS = 7
QUARTER = 900  # seconds

LAT = CaseRow.place["lat"].as_float()
LON = CaseRow.place["lon"].as_float()


def situation_figures(store: CaseStore, kb: KnowledgeBase, department: str | None = None,
                      grid: str | None = None) -> Situation:
    """The picture at the clock's now, of the city, or of one lead department's cases, or of one
    grid's (its 网格员's view)."""
    now = clock.now().astimezone(UTC)
    zone = ZoneInfo(kb.meta.timezone)
    today = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    names = Names(kb)
    scope: list[ColumnElement[bool]] = []
    if department is not None:
        scope.append(CaseRow.lead_department_id == department)
    if grid is not None:
        scope.append(CaseRow.grid_id == grid)
    is_open = CaseRow.status.in_(OPEN)
    late = when(((CaseRow.resolve_by < now) & is_open, 1), else_=0)
    with store.session() as s:
        by_priority = {str(p): int(n) for p, n in s.execute(
            select(CaseRow.priority, func.count()).where(is_open, *scope).group_by(CaseRow.priority))}
        overdue = int(s.scalar(select(func.count()).where(is_open, CaseRow.resolve_by < now, *scope)) or 0)

        def loads(key: Any) -> list[tuple[str, int, int]]:
            rows = s.execute(select(key, func.count(), func.sum(late)).where(is_open, key.is_not(None), *scope)
                             .group_by(key).order_by(func.count().desc(), key))
            return [(str(k), int(n), int(m or 0)) for k, n, m in rows]

        departments = [DepartmentLoad(id=k, name=names.department(k), open=n, overdue=m)
                       for k, n, m in loads(CaseRow.lead_department_id)]
        streets = [AreaLoad(id=k, name=names.street(k), open=n, overdue=m) for k, n, m in loads(CaseRow.street_id)]
        grids = [AreaLoad(id=k, name=kb.grids[k].name if k in kb.grids else k, open=n, overdue=m)
                 for k, n, m in loads(CaseRow.grid_id)]
        points = _points(s, kb, now, scope)
        waiting = int(s.scalar(select(func.count()).where(CaseRow.status.in_(WAITING), *scope)) or 0)
        countdowns = [Countdown(id=r.id, title=r.title, priority=r.priority, status=r.status,
                                department=r.lead_department_id, emergency=r.emergency is not None,
                                respond_by=r.respond_by, seconds_left=int((r.respond_by - now).total_seconds()))
                      for r in s.execute(select(CaseRow.id, CaseRow.title, CaseRow.priority, CaseRow.status,
                                                CaseRow.lead_department_id, CaseRow.emergency, CaseRow.respond_by)
                                         .where(CaseRow.status.in_(WAITING), *scope)
                                         .order_by(CaseRow.respond_by, CaseRow.id).limit(COUNTDOWNS))]
        urgent = [UrgentCase(id=r.id, title=r.title, department=r.lead_department_id,
                             emergency=r.emergency is not None, created_at=r.created_at)
                  for r in s.execute(select(CaseRow.id, CaseRow.title, CaseRow.lead_department_id, CaseRow.emergency,
                                            CaseRow.created_at)
                                     .where(is_open, (CaseRow.priority == "urgent") | CaseRow.emergency.is_not(None),
                                            *scope)
                                     .order_by(CaseRow.created_at.desc(), CaseRow.id.desc()).limit(URGENT))]
        hourly = _hourly(s, zone, today, now, scope)
    return Situation(as_of=now, zone=kb.meta.timezone, department=department, grid=grid,
                     today_start=today.astimezone(UTC), open=sum(by_priority.values()), overdue=overdue,
                     waiting=waiting, open_by_priority=by_priority,
                     points=points, points_limit=POINTS, grids=grids, streets=streets, departments=departments,
                     hourly=hourly, countdowns=countdowns, urgent=urgent)


def _points(s: Session, kb: KnowledgeBase, now: datetime, scope: list[ColumnElement[bool]]) -> list[CasePoint]:
    """Open cases, emergencies and urgent ones first; a case without its own point sits at its
    street's centre (places.yaml), and without that it is listed with no coordinates."""
    rank = when(PRIORITY_ORDER, value=CaseRow.priority, else_=9)
    rows = s.execute(
        select(CaseRow.id, CaseRow.title, CaseRow.priority, CaseRow.status, CaseRow.lead_department_id,
               CaseRow.category_name, CaseRow.district_id, CaseRow.street_id, CaseRow.grid_id, LAT.label("lat"),
               LON.label("lon"), CaseRow.emergency, CaseRow.created_at, CaseRow.resolve_by)
        .where(CaseRow.status.in_(OPEN), *scope)
        .order_by(when((CaseRow.emergency.is_(None), 1), else_=0), rank, CaseRow.resolve_by, CaseRow.id)
        .limit(POINTS))
    points = []
    for r in rows:
        lat, lon, located = r.lat, r.lon, "point"
        if lat is None or lon is None:
            street = kb.streets.get(r.street_id or "")
            centre = street.center if street else None
            lat, lon, located = (centre[0], centre[1], "street") if centre else (None, None, "none")
        points.append(CasePoint(
            id=r.id, title=r.title, priority=r.priority, status=r.status, department=r.lead_department_id,
            category=r.category_name, district=r.district_id, street=r.street_id, grid=r.grid_id, lat=lat, lon=lon,
            located=located, emergency=r.emergency is not None, overdue=r.resolve_by < now,
            created_at=r.created_at, resolve_by=r.resolve_by))
    return points


def quarter_hour(s: Session) -> ColumnElement[int]:
    """The quarter hour since the Unix epoch that a case was created in, in the database's own SQL."""
    if s.get_bind().dialect.name == "postgresql":
        return cast(func.floor(func.extract("epoch", CaseRow.created_at) / QUARTER), BigInteger)
    return cast(func.strftime("%s", CaseRow.created_at), BigInteger) // QUARTER  # SQLite keeps UTC text


def _hourly(s: Session, zone: ZoneInfo, today: datetime, now: datetime,
            scope: list[ColumnElement[bool]]) -> list[HourFigure]:
    """Cases created in each of today's hours so far, and the mean of the same hour over the seven
    days before today (a merged case counts as the case it joined, as on the dashboard)."""
    first = datetime.combine(today.date() - timedelta(days=PAST_DAYS), datetime.min.time(), zone)
    bucket = quarter_hour(s)
    rows = s.execute(select(bucket, func.count())
                     .where(CaseRow.created_at >= first.astimezone(UTC), CaseRow.created_at <= now,
                            CaseRow.status != "merged", *scope)
                     .group_by(bucket))
    counts: dict[int, list[int]] = defaultdict(lambda: [0] * 24)  # days before today → per hour
    for quarter, n in rows:
        local = datetime.fromtimestamp(int(quarter) * QUARTER, UTC).astimezone(zone)
        counts[(today.date() - local.date()).days][local.hour] += int(n)
    hour_now = now.astimezone(zone).hour
    return [HourFigure(hour=h, today=counts[0][h] if h <= hour_now else None,
                       week_average=round(sum(counts[d][h] for d in range(1, PAST_DAYS + 1)) / PAST_DAYS, 2))
            for h in range(24)]
