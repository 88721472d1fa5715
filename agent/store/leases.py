"""Jobs kept on the case row (a case draft, a reply draft) and claimed under a lease: the statement
that claims the next one atomically (`UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED)
RETURNING` on PostgreSQL; the same statement on SQLite, whose single writer makes it atomic), the
one that gives a claim back, and the count still to do. A claim whose lease ran out (its drafter
died) can be claimed again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from agent.store.models import CaseRow
from agent.store.store import QUEUED
from core import clock

WORKING = "drafting"


@dataclass(frozen=True)
class LeasedJob:
    """A job's columns on the case row: its state, who holds it since when, and how often it was
    claimed."""

    state: InstrumentedAttribute[str | None]
    claim: InstrumentedAttribute[str | None]
    claimed_at: InstrumentedAttribute[Any]
    attempts: InstrumentedAttribute[int]

    def pending(self, s: Session) -> int:
        return int(s.scalar(select(func.count()).select_from(CaseRow).where(self.state.in_((QUEUED, WORKING)))) or 0)

    def claim_next(self, claim: str, lease_s: float, order_by: tuple[Any, ...], returning: tuple[Any, ...]) -> Any:
        """The statement claiming the first claimable job by `order_by` under `claim`, returning
        `returning` of its row (the attempts column counts this claim)."""
        now = clock.now()
        claimable: ColumnElement[bool] = or_(
            self.state == QUEUED, and_(self.state == WORKING, self.claimed_at < now - timedelta(seconds=lease_s)))
        pick = (select(CaseRow.id).where(claimable).order_by(*order_by).limit(1)
                .with_for_update(skip_locked=True).scalar_subquery())
        return (update(CaseRow).where(CaseRow.id == pick)
                .values({self.state: WORKING, self.claimed_at: now, self.claim: claim,
                         self.attempts: self.attempts + 1})
                .returning(*returning).execution_options(synchronize_session=False))

    def give_back(self, case_id: int, claim: str) -> Any:
        """The statement giving a claim back unfinished: queued again, this claim not counted."""
        return (update(CaseRow).where(CaseRow.id == case_id, self.claim == claim)
                .values({self.state: QUEUED, self.claim: None, self.claimed_at: None,
                         self.attempts: self.attempts - 1})
                .execution_options(synchronize_session=False))


CASE_DRAFT = LeasedJob(CaseRow.draft_job, CaseRow.draft_job_claim, CaseRow.draft_job_claimed_at,
                       CaseRow.draft_job_attempts)
REPLY_DRAFT = LeasedJob(CaseRow.reply_job, CaseRow.reply_job_claim, CaseRow.reply_job_claimed_at,
                        CaseRow.reply_job_attempts)
