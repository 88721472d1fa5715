"""Reading cases: a queue of case rows under a filter, one case's row, the count in each status."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import case as sql_case
from sqlalchemy import func, select

from agent.lifecycle import OPEN
from agent.store.models import CaseRow
from agent.store.records import case_summary
from agent.store.store import CaseStore, _get_case
from core import clock
from core.records import CaseFilter, CaseSummary, QueuePage, StatusCounts

PRIORITY_ORDER = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


class CaseQueries:
    def __init__(self, store: CaseStore) -> None:
        self.store = store

    def queue(self, where: CaseFilter, limit: int = 100, offset: int = 0) -> QueuePage:
        """Cases matching every filter given: emergencies first, then urgent ones, then by priority
        and respond-by time."""
        now = clock.now()
        q = select(CaseRow)
        if where.status:
            q = q.where(CaseRow.status.in_(where.status))
        if where.category:
            under = CaseRow.category_id.startswith(where.category + ".", autoescape=True)  # `%` and `_` are literal
            q = q.where((CaseRow.category_id == where.category) | under)
        if where.department:
            q = q.where(CaseRow.lead_department_id == where.department)
        if where.grid:
            q = q.where(CaseRow.grid_id == where.grid)
        if where.priority:
            q = q.where(CaseRow.priority == where.priority)
        if where.overdue:
            q = q.where(CaseRow.resolve_by < now, CaseRow.status.in_(OPEN))
        if where.needs_review is not None:
            q = q.where(CaseRow.needs_review.is_(where.needs_review))
        if where.min_confidence is not None:
            q = q.where(CaseRow.confidence >= where.min_confidence)
        if where.max_confidence is not None:
            q = q.where(CaseRow.confidence <= where.max_confidence)
        if where.older_than_minutes is not None:
            q = q.where(CaseRow.created_at <= now - timedelta(minutes=where.older_than_minutes))
        rank = sql_case(PRIORITY_ORDER, value=CaseRow.priority, else_=9)
        emergency_first = sql_case((CaseRow.emergency.is_(None), 1), else_=0)
        q = q.order_by(emergency_first, CaseRow.urgent.desc(), rank, CaseRow.respond_by, CaseRow.id)
        q = q.offset(offset).limit(limit)
        with self.store.session() as s:
            rows = [case_summary(r, now) for r in s.scalars(q).all()]
        return QueuePage(rows=rows, limit=limit, offset=offset)

    def summary(self, case_id: int) -> CaseSummary:
        """One case's row; NotFound when there is no such case."""
        with self.store.session() as s:
            return case_summary(_get_case(s, case_id), clock.now())

    def count_by_status(self) -> StatusCounts:
        with self.store.session() as s:
            rows = s.execute(select(CaseRow.status, func.count()).group_by(CaseRow.status))
            return StatusCounts(counts={status: int(n) for status, n in rows})
