"""What the API does with a report, shared by the v1 and Open311 routers and the intake page:
triage it once per idempotency key, auto-dispatch it when the city's mode allows; and the changes
that touch the pipeline's own state (the city's mode, the dedup index, a split re-triaging reports)."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from agent.lifecycle import ATTRACTS_DUPLICATES
from agent.output import public_case
from agent.pipeline import TriagePipeline
from agent.store.actions import AUTO_DISPATCHER
from agent.store.keys import Answer, ApiClient
from agent.store.workflow import Workflow
from api.redraft import Redrafter
from api.responses import ModeOptionPublic, ModePublic, ModeSwitchedPublic
from core.messages import NotFound, Refusal, message
from core.types import ReportIn, TriageResult


class IdempotencyConflict(ValueError):
    """The same Idempotency-Key was sent with a different body."""


@dataclass(frozen=True)
class Submitted:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


class TriageService:
    def __init__(self, pipeline: TriagePipeline, workflow: Workflow, redrafter: Redrafter | None = None) -> None:
        self.pipeline, self.workflow, self.redrafter = pipeline, workflow, redrafter
        self._commit = threading.Lock()  # the dedup index and the store change in report order
        # Understanding is mostly Python under the GIL: more than a couple at once only thrash.
        self._understand = threading.BoundedSemaphore(1)
        self._stripes = [threading.Lock() for _ in range(64)]  # bounded, however many keys are used

    # ---- reports --------------------------------------------------------------------------------
    def submit(self, report: ReportIn, client: ApiClient, idempotency_key: str | None,
               request_body: dict[str, Any], auto_dispatch: bool = True) -> Submitted:
        """`auto_dispatch=False` when a person is reading the draft right now (the intake page): the
        case waits as `received` for them to confirm or send to review."""
        if not idempotency_key:
            return self._submit(report, client, auto_dispatch)
        digest = hashlib.sha256(json.dumps(request_body, sort_keys=True, default=str).encode()).hexdigest()
        idempotency = self.workflow.idempotency
        with self._key_lock(client.id, idempotency_key):
            seen = idempotency.remembered(client.id, idempotency_key)
            if seen is not None:
                if seen.request_hash != digest:
                    raise IdempotencyConflict(
                        f"Idempotency-Key {idempotency_key!r} was already used with a different report; "
                        "use a new key for a new report")
                return Submitted(seen.status_code, seen.response, replayed=True)
            result = self._submit(report, client, auto_dispatch)
            idempotency.remember(client.id, idempotency_key, Answer(request_hash=digest, status_code=result.status_code,
                                                                    response=result.body))
            return result

    def _submit(self, report: ReportIn, client: ApiClient, auto_dispatch: bool = True) -> Submitted:
        with self._understand:
            prepared = self.pipeline.prepare(report)  # raises ReportRejected
        with self._commit:
            result = self.pipeline.commit(prepared)
            status = self._auto_dispatch(result) if auto_dispatch else self._status(result.case_id)
        draft_status = "final"
        if self.redrafter is not None and result.duplicate_of is None:
            self.redrafter.submit(result)
            draft_status = "llm_pending"  # GET /v1/cases/{id} shows the LLM draft once it is there
        body = {**public_case(result), "status": status, "draft_status": draft_status}
        return Submitted(200 if result.duplicate_of else 201, body)

    def _auto_dispatch(self, result: TriageResult) -> str:
        """A new case goes straight to `dispatched` when nothing needs a person; otherwise it waits
        in the review queue (urgent cases first)."""
        if result.duplicate_of is not None:
            return self._status(result.case_id)
        if result.needs_review:
            return "received"
        self.workflow.actions.transition(result.case_id, "dispatched", AUTO_DISPATCHER,
                                         f"confidence {result.understanding.classification.confidence:.2f} meets "
                                         f"the {self.pipeline.mode} threshold; nothing needs a person")
        return "dispatched"

    def _status(self, case_id: int) -> str:
        return self.workflow.queries.summary(case_id).status

    def _key_lock(self, client_id: int, key: str) -> threading.Lock:
        """Requests with the same key share a lock (and a few unrelated keys share one too)."""
        return self._stripes[hash((client_id, key)) % len(self._stripes)]

    # ---- the city's mode ------------------------------------------------------------------------
    def mode(self) -> ModePublic:
        kb = self.pipeline.models.kb
        mode = next(m for m in kb.policy.modes if m.id == self.pipeline.mode)
        return ModePublic(mode=mode.id, name=mode.name, auto_dispatch_threshold=mode.auto_dispatch_threshold,
                          modes=[ModeOptionPublic(id=m.id, name=m.name) for m in kb.policy.modes])

    def set_mode(self, mode: str, actor: str, reason: str) -> ModeSwitchedPublic:
        kb = self.pipeline.models.kb
        modes = {m.id: m for m in kb.policy.modes}
        if mode not in modes:
            raise Refusal(message("mode.unknown", mode=mode, modes="、".join(f"{m.id}（{m.name}）"
                                                                           for m in modes.values())))
        with self._commit:
            before = self.workflow.city.switch(mode, actor, reason)
            self.pipeline.mode = mode
        return ModeSwitchedPublic(mode=mode, before=before, name=modes[mode].name,
                                  auto_dispatch_threshold=modes[mode].auto_dispatch_threshold)

    # ---- changes to the pipeline's state ---------------------------------------------------------
    def split(self, case_id: int, report_ids: list[int], reason: str, actor: str) -> int:
        """Take reports out of a case into a new one (they were not the same problem after all);
        returns the new case's id."""
        with self._commit:
            case = self.pipeline.store.case(case_id)
            if case is None:
                raise NotFound(message("case.not_found", id=case_id))
            own = {r.id: r for r in case.reports}
            strangers = [r for r in report_ids if r not in own]
            if strangers:
                raise Refusal(message("split.not_in_case", reports=strangers, id=case_id, own=sorted(own)))
            if len(set(report_ids)) >= len(own):
                raise Refusal(message("split.keep_one"))
            first = own[report_ids[0]]
            new_id = self.pipeline.split_off(first.id, ReportIn(text=first.text, channel=first.channel,
                                                                received_at=first.received_at))
            self.workflow.actions.split_reports(case_id, new_id, report_ids, reason, actor)
        return new_id

    def forget_if_closed(self, case_id: int, status: str) -> None:
        """A case that left the states that attract duplicates leaves the dedup index, as it would be
        rebuilt at the next start."""
        if status not in ATTRACTS_DUPLICATES:
            self.pipeline.dedup.forget(case_id)
