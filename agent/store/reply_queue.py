"""The reply-drafting queue: a case whose disposal passed verification is marked `reply_job = queued`
in the same transaction, when a language model drafts replies; the drafter processes claim it after
the case drafts (a case draft is the first thing a person waits for), draft the reply to the citizen
and store it on the case beside the disposal it answers. The claim is a lease, as for case drafts
(agent/store/leases.py): a drafter that died leaves the job to be claimed again, up to
`max_attempts`. Until a model's reply is stored, the template reply is offered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select, update

from agent.store.leases import REPLY_DRAFT, WORKING
from agent.store.models import CaseRow
from agent.store.store import CaseStore, _audit
from core.settings import DrafterSettings

ReplyLanded = Literal["done", "failed", "lost"]


@dataclass(frozen=True)
class ReplyJob:
    case_id: int
    claim: str
    attempt: int


class ReplyQueue:
    def __init__(self, store: CaseStore, claimant: str, limits: DrafterSettings | None = None) -> None:
        self.store, self.claimant = store, claimant
        self.limits = limits or DrafterSettings()

    def pending(self) -> int:
        with self.store.session() as s:
            return REPLY_DRAFT.pending(s)

    def claim(self, claim: str) -> ReplyJob | None:
        """The oldest reply job, now held under `claim`; None when there is none. A job claimed more
        than `max_attempts` times fails, with an audit event: the template reply stands."""
        while True:
            with self.store.session() as s, s.begin():
                row = s.execute(REPLY_DRAFT.claim_next(claim, self.limits.lease_s, (CaseRow.id,),
                                                       (CaseRow.id, CaseRow.reply_job_attempts))).first()
                if row is None:
                    return None
                case_id, attempt = row
                if attempt <= self.limits.max_attempts:
                    return ReplyJob(case_id=case_id, claim=claim, attempt=attempt)
                s.execute(update(CaseRow).where(CaseRow.id == case_id)
                          .values(reply_job="failed", reply_job_claim=None)
                          .execution_options(synchronize_session=False))
                s.add(_audit("reply", "reply.draft_failed", None, case_id, {
                    "reason": f"claimed {attempt - 1} times without finishing; the template reply stands"},
                    self.claimant))

    def finish(self, job: ReplyJob, draft: dict[str, Any] | None,
               events: list[tuple[str, str, dict[str, Any]]]) -> ReplyLanded:
        """Store a finished job: the drafter's events, then the draft (None: the model failed and the
        template reply stands). `lost` when another drafter holds the job now."""
        with self.store.session() as s, s.begin():
            case = s.execute(select(CaseRow).where(CaseRow.id == job.case_id, CaseRow.reply_job == WORKING,
                                                   CaseRow.reply_job_claim == job.claim)
                             .with_for_update()).scalar_one_or_none()
            if case is None:
                return "lost"
            for stage, event_name, payload in events:
                s.add(_audit(stage, event_name, None, case.id, payload, self.claimant))
            case.reply_job_claim = None
            if draft is None:
                case.reply_job = "failed"
                return "failed"
            case.reply_job, case.reply_draft = "done", draft
            return "done"

    def release(self, job: ReplyJob) -> None:
        """Give a claimed job back unfinished (the drafter is stopping)."""
        with self.store.session() as s, s.begin():
            s.execute(REPLY_DRAFT.give_back(job.case_id, job.claim))
