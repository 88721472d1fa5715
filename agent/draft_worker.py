"""A drafter process (`gridtriage drafter`): takes jobs from the drafting queue in the database,
urgent first, drafts each case with the language model and stores the result; when no case waits,
it drafts the replies to citizens whose cases passed verification (agent/store/reply_queue.py). It loads only the
knowledge base and the model, never the triage models, and runs beside the API workers: niced on
the same machine (`serve` starts one), or on other machines against the same PostgreSQL.

The answer to a report never waits for it: the case was stored with its template draft, and this
process replaces that draft when the model's is valid (or keeps it as a suggestion when a person
edited the case first). A job held by a process that died is taken again when its lease runs out.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections import Counter

from pydantic import ValidationError

from agent.drafting import Drafter, outcome_events
from agent.reply_drafting import ReplyDrafter, reply_facts
from agent.review import disagreements
from agent.store import CaseStore
from agent.store.draft_queue import DraftJob, DraftQueue, Landed
from agent.store.reply_queue import ReplyJob, ReplyLanded, ReplyQueue
from core.settings import DrafterSettings
from core.types import DraftFacts
from knowledge.loader import KnowledgeBase

log = logging.getLogger(__name__)


class DraftWorker:
    def __init__(self, store: CaseStore, drafter: Drafter, kb: KnowledgeBase,
                 settings: DrafterSettings | None = None, reply_drafter: ReplyDrafter | None = None) -> None:
        """`reply_drafter`: also draft replies to citizens (None: case drafts only)."""
        self.store, self.drafter, self.kb, self.reply_drafter = store, drafter, kb, reply_drafter
        self.settings = settings or DrafterSettings()
        self.name = f"drafter:{socket.gethostname()}:{os.getpid()}"
        self.queue = DraftQueue(store, self.name, self.settings)
        self.replies = ReplyQueue(store, self.name, self.settings)
        self.landed: Counter[str] = Counter()

    def warm_up(self) -> None:
        """Load the model and evaluate the prompt's fixed head, so the first job does not pay for it."""
        self.drafter.warm_up()
        log.info("drafter primed in %.1f s", self.drafter.prime())

    def run(self, stop: threading.Event, drain: bool = False) -> Counter[str]:
        """Draft jobs until `stop` is set (or, with `drain`, until the queue is empty). Returns how
        many drafts were replaced, suggested, failed or lost."""
        while not stop.is_set():
            landed = self.run_once()
            if landed is None:
                if drain:
                    break
                stop.wait(self.settings.poll_s)
        return self.landed

    def run_once(self) -> Landed | ReplyLanded | None:
        """Claim one job, a case draft first, else a reply, and finish it; None when both queues
        are empty."""
        claim = f"{self.name}:{uuid.uuid4().hex[:8]}"
        job = self.queue.claim(claim)
        if job is None:
            return self._reply_once(claim) if self.reply_drafter is not None else None
        landed = self._draft(job)
        self.landed[landed] += 1
        log.info("case %s: draft %s (attempt %s)", job.case_id, landed, job.attempt)
        return landed

    def _reply_once(self, claim: str) -> ReplyLanded | None:
        assert self.reply_drafter is not None
        job = self.replies.claim(claim)
        if job is None:
            return None
        landed = self._reply(job, self.reply_drafter)
        self.landed[f"reply {landed}"] += 1
        log.info("case %s: reply %s (attempt %s)", job.case_id, landed, job.attempt)
        return landed

    def _reply(self, job: ReplyJob, drafter: ReplyDrafter) -> ReplyLanded:
        case = self.store.case(job.case_id)
        if case is None or not case.disposals:
            return self.replies.finish(job, None, [("reply", "reply.draft_failed", {"reason": "no disposal"})])
        disposal = case.disposals[-1]
        department = self.kb.departments.get(disposal.department_id)
        facts = reply_facts(case, disposal, department.name if department else disposal.department_id)
        try:
            draft = drafter.draft(facts)
        except Exception as exc:  # one broken reply must not stop the drafter; the template reply stays
            log.exception("drafting the reply of case %s failed", job.case_id)
            return self.replies.finish(job, None, [("reply", "reply.draft_failed",
                                                    {"reason": f"{type(exc).__name__}: {exc}"})])
        events = [("reply", "llm.call", call.model_dump(mode="json")) for call in draft.calls]
        if draft.fallback_reason:
            events.append(("reply", "reply.draft_failed", {"reason": draft.fallback_reason}))
            return self.replies.finish(job, None, events)
        stored = {**draft.model_dump(mode="json", exclude={"calls"}), "disposal_id": disposal.id}
        return self.replies.finish(job, stored, events)

    def _draft(self, job: DraftJob) -> Landed:
        try:
            facts = DraftFacts.model_validate(job.facts)
        except ValidationError as exc:  # a job stored by another version: nothing to draft from
            return self.queue.finish(job, [("draft", "draft.fallback", {
                "reason": f"the stored facts do not read as DraftFacts: {exc.error_count()} problems"})], None, [])
        try:
            outcome = self.drafter.draft(facts)
        except Exception as exc:  # one broken draft must not stop the drafter; the template draft stays
            log.exception("drafting case %s failed", job.case_id)
            return self.queue.finish(job, [("draft", "draft.fallback", {
                "reason": f"{type(exc).__name__}: {exc}"})], None, [])
        if outcome.fallback_reason:
            return self.queue.finish(job, outcome_events(outcome), None, [])
        reasons = [m.public() for m in disagreements(outcome.draft, facts.understanding, facts.routing, self.kb)]
        return self.queue.finish(job, outcome_events(outcome), outcome.draft.model_dump(mode="json"), reasons)
