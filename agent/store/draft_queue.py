"""The LLM drafting queue. The case row is the job: a new case that a language model should draft is
stored with `draft_job = queued`, its rank (urgent first) and the facts to draft from, in the same
transaction as the report. Drafter processes, here or on other machines, claim jobs one at a time
(agent/store/leases.py).

A claim is a lease. A drafter killed mid-draft leaves its job `drafting`; once the lease runs out,
another claim takes it again, up to `max_attempts` claims, after which the job fails (a report that
crashes the drafter every time must not stop the queue). A job that waited longer than `max_wait_s`
is dropped with its reason: the template draft stands. A draft that lands after a person edited the
case never overwrites their edit: it is kept as a suggestion beside the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import exists, select, update

from agent.store.leases import CASE_DRAFT, WORKING
from agent.store.models import CaseRow, FeedbackRow
from agent.store.store import QUEUED, CaseStore, _audit
from core import clock
from core.settings import DrafterSettings

Landed = Literal["replaced", "suggested", "failed", "lost"]


@dataclass(frozen=True)
class DraftJob:
    case_id: int
    facts: dict[str, Any]
    queued_at: datetime
    claim: str
    attempt: int


class DraftQueue:
    def __init__(self, store: CaseStore, claimant: str, limits: DrafterSettings | None = None) -> None:
        self.store, self.claimant = store, claimant
        self.limits = limits or DrafterSettings()

    def pending(self) -> int:
        """Jobs waiting or being drafted."""
        with self.store.session() as s:
            return CASE_DRAFT.pending(s)

    def claim(self, claim: str) -> DraftJob | None:
        """The next job (urgent first, then oldest), now held under `claim`; None when there is none.
        Jobs that waited too long are dropped first, each with an audit event saying so."""
        while True:
            with self.store.session() as s, s.begin():
                self._drop_overdue(s)
                row = s.execute(CASE_DRAFT.claim_next(
                    claim, self.limits.lease_s, (CaseRow.draft_job_rank, CaseRow.id),
                    (CaseRow.id, CaseRow.draft_facts, CaseRow.draft_job_queued_at, CaseRow.draft_job_attempts))).first()
                if row is None:
                    return None
                case_id, facts, queued_at, attempt = row
                if attempt <= self.limits.max_attempts and facts is not None:
                    return DraftJob(case_id=case_id, facts=facts, queued_at=queued_at, claim=claim, attempt=attempt)
                s.execute(update(CaseRow).where(CaseRow.id == case_id)
                          .values(draft_job="failed", draft_facts=None, draft_job_claim=None)
                          .execution_options(synchronize_session=False))
                s.add(_audit("draft", "draft.failed", None, case_id, {
                    "reason": f"claimed {attempt - 1} times without finishing; the template draft stands",
                    "attempts": attempt - 1}, self.claimant))

    def finish(self, job: DraftJob, events: list[tuple[str, str, dict[str, Any]]], draft: dict[str, Any] | None,
               review_reasons: list[dict[str, Any]]) -> Landed:
        """Store a finished job in one transaction: the drafter's events (model calls, fallback), then
        the draft. `draft` None (the model failed): the template draft stands. A case a person has
        edited keeps their edit and gets the draft as a suggestion. Returns what happened; `lost`
        when the claim had expired and another drafter holds the job (nothing is stored)."""
        with self.store.session() as s, s.begin():
            case = s.execute(select(CaseRow).where(CaseRow.id == job.case_id, CaseRow.draft_job == WORKING,
                                                   CaseRow.draft_job_claim == job.claim)
                             .with_for_update()).scalar_one_or_none()
            if case is None:
                return "lost"
            for stage, event_name, payload in events:
                s.add(_audit(stage, event_name, None, case.id, payload, self.claimant))
            case.draft_facts, case.draft_job_claim = None, None
            if draft is None:
                case.draft_job = "failed"
                return "failed"
            edited = s.scalar(select(exists().where(FeedbackRow.case_id == case.id)))
            if edited:
                case.draft_job, case.draft_suggestion = "suggested", draft
                s.add(_audit("draft", "case.draft_suggested", None, case.id, {
                    "drafter": draft["drafter"], "title": draft["title"], "review_reasons": review_reasons,
                    "why": "a person edited the case before the draft arrived; their edit stands"}, self.claimant))
                return "suggested"
            before = {"title": case.title, "drafter": (case.draft or {}).get("drafter")}
            case.title, case.summary, case.draft = draft["title"], draft["summary"], draft
            if review_reasons and case.status == "received":
                case.needs_review = True
            case.draft_job, case.updated_at = "done", clock.now()
            s.add(_audit("draft", "case.redrafted", None, case.id, {
                "before": before, "drafter": draft["drafter"], "title": draft["title"],
                "review_reasons": review_reasons, "waited_s": round(_seconds_since(job.queued_at), 1)},
                self.claimant))
            return "replaced"

    def release(self, job: DraftJob) -> None:
        """Give a claimed job back unfinished (the drafter is stopping): the next claim takes it."""
        with self.store.session() as s, s.begin():
            s.execute(CASE_DRAFT.give_back(job.case_id, job.claim))

    def _drop_overdue(self, s: Any) -> None:
        limit = self.limits.max_wait_s
        dropped = s.execute(update(CaseRow)
                            .where(CaseRow.draft_job == QUEUED,
                                   CaseRow.draft_job_queued_at < clock.now() - timedelta(seconds=limit))
                            .values(draft_job="dropped", draft_facts=None)
                            .returning(CaseRow.id, CaseRow.draft_job_queued_at)
                            .execution_options(synchronize_session=False)).all()
        for case_id, queued_at in dropped:
            s.add(_audit("draft", "draft.dropped", None, case_id, {
                "reason": f"waited longer than {limit:g} s for a drafter; the template draft stands",
                "waited_s": round(_seconds_since(queued_at), 1)}, self.claimant))


def _seconds_since(moment: datetime) -> float:
    return (clock.now() - moment).total_seconds()
