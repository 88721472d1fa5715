"""What the API does with a report, shared by the v1 and Open311 routers and the intake page:
triage it once per idempotency key, auto-dispatch it when the city's mode allows; and the changes
that touch the pipeline's own state (the city's mode, the dedup index, a split re-triaging reports)."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agent.lifecycle import ATTRACTS_DUPLICATES
from agent.output import hide_grid_contacts, public_case
from agent.pipeline import TriagePipeline
from agent.store.draft_queue import DraftQueue
from agent.store.keys import ApiClient
from agent.store.store import AlreadyAnswered, Receipt
from agent.store.workflow import Workflow
from api.responses import AreaModePublic, ModeOptionPublic, ModePublic, ModeSwitchedPublic
from core.messages import Explained, NotFound, Refusal, lookup, message
from core.roles import ABILITIES
from core.types import ReportIn, TriageResult


class IdempotencyConflict(Explained):
    """The same Idempotency-Key was sent with a different body."""


@dataclass(frozen=True)
class Submitted:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


class _StoredAnswer:
    """A receipt's answer maker that keeps the answer it made for the store."""

    def __init__(self, answer: Callable[[TriageResult], tuple[int, dict[str, Any]]]) -> None:
        self._answer = answer
        self.given: tuple[int, dict[str, Any]] | None = None

    def __call__(self, result: TriageResult) -> tuple[int, dict[str, Any]]:
        self.given = self._answer(result)
        return self.given


class TriageService:
    def __init__(self, pipeline: TriagePipeline, workflow: Workflow) -> None:
        self.pipeline, self.workflow = pipeline, workflow
        self.drafts = DraftQueue(pipeline.store, f"api:{os.getpid()}")
        self._commit = threading.Lock()  # the dedup index and the store change in report order
        # Understanding is mostly Python under the GIL: more than a couple at once only thrash.
        self._understand = threading.BoundedSemaphore(1)
        self._stripes = [threading.Lock() for _ in range(64)]  # bounded, however many keys are used

    # ---- reports --------------------------------------------------------------------------------
    def submit(self, report: ReportIn, client: ApiClient, idempotency_key: str | None,
               request_body: dict[str, Any], auto_dispatch: bool = True) -> Submitted:
        """`auto_dispatch=False` when a person is reading the draft right now (the intake page): the
        case waits as `received` for them to confirm or send to review. With an Idempotency-Key the
        answer is stored in the report's own transaction, so a retry (after a crash too) is answered
        from it and never stores the report twice. Grid members' contacts are shown only to roles
        with the personal-data ability."""
        submitted = self._submit_once(report, client, idempotency_key, request_body, auto_dispatch)
        if "personal_data" in ABILITIES.get(client.role, frozenset()):
            return submitted
        place = hide_grid_contacts(submitted.body["place"], lookup("contact.hidden"))
        return Submitted(submitted.status_code, {**submitted.body, "place": place}, submitted.replayed)

    def _submit_once(self, report: ReportIn, client: ApiClient, idempotency_key: str | None,
                     request_body: dict[str, Any], auto_dispatch: bool) -> Submitted:
        if not idempotency_key:
            return self._submit(report, auto_dispatch, None)
        digest = hashlib.sha256(json.dumps(request_body, sort_keys=True, default=str).encode()).hexdigest()
        with self._key_lock(client.id, idempotency_key):
            replayed = self._replay(client, idempotency_key, digest)
            if replayed is not None:
                return replayed
            stored = _StoredAnswer(self._answer)
            receipt = Receipt[TriageResult](client_id=client.id, key=idempotency_key, request_hash=digest,
                                            answer=stored)
            try:
                self._submit(report, auto_dispatch, receipt)
                assert stored.given is not None
                return Submitted(*stored.given)  # exactly what a retry will get
            except AlreadyAnswered:  # another process answered this key meanwhile
                replayed = self._replay(client, idempotency_key, digest)
                assert replayed is not None
                return replayed

    def _replay(self, client: ApiClient, key: str, digest: str) -> Submitted | None:
        seen = self.workflow.idempotency.remembered(client.id, key)
        if seen is None:
            return None
        if seen.request_hash != digest:
            raise IdempotencyConflict(message("idempotency.conflict", idempotency_key=key))
        return Submitted(seen.status_code, seen.response, replayed=True)

    def _submit(self, report: ReportIn, auto_dispatch: bool, receipt: Receipt[TriageResult] | None) -> Submitted:
        with self._understand:
            prepared = self.pipeline.prepare(report)  # raises ReportRejected
        with self._commit:
            result = self.pipeline.commit(prepared, auto_dispatch=auto_dispatch, receipt=receipt)
        status_code, body = self._answer(result)
        return Submitted(status_code, body)

    def _answer(self, result: TriageResult) -> tuple[int, dict[str, Any]]:
        # A queued case gets the LLM's draft from a drafter process; GET /v1/cases/{id} shows it once there.
        draft_status = "llm_pending" if result.draft_queued else "final"
        body = {**public_case(result), "status": result.status, "draft_status": draft_status}
        return (200 if result.duplicate_of else 201), body

    def _key_lock(self, client_id: int, key: str) -> threading.Lock:
        """Requests with the same key share a lock (and a few unrelated keys share one too)."""
        return self._stripes[hash((client_id, key)) % len(self._stripes)]

    # ---- the city's mode ------------------------------------------------------------------------
    def mode(self) -> ModePublic:
        """The city's mode, and the modes set for single grids beside it."""
        kb = self.pipeline.models.kb
        modes = {m.id: m for m in kb.policy.modes}
        mode = modes[self.pipeline.mode]
        areas = [AreaModePublic(grid_id=a.grid_id, grid_name=kb.grids[a.grid_id].name if a.grid_id in kb.grids
                                else a.grid_id, mode=a.mode, name=modes[a.mode].name if a.mode in modes else a.mode,
                                updated_by=a.updated_by, updated_at=a.updated_at)
                 for a in self.workflow.city.areas()]
        return ModePublic(mode=mode.id, name=mode.name, auto_dispatch_threshold=mode.auto_dispatch_threshold,
                          modes=[ModeOptionPublic(id=m.id, name=m.name) for m in kb.policy.modes], areas=areas)

    def set_mode(self, mode: str, actor: str, reason: str, grid_id: str | None = None) -> ModeSwitchedPublic:
        """Switch the city's mode, or with `grid_id` one grid's (a case follows the most urgent mode
        covering its point)."""
        kb = self.pipeline.models.kb
        modes = {m.id: m for m in kb.policy.modes}
        if mode not in modes:
            raise Refusal(message("mode.unknown", mode=mode, modes="、".join(f"{m.id}（{m.name}）"
                                                                           for m in modes.values())))
        if grid_id is not None and grid_id not in kb.grids:
            raise Refusal(message("mode.unknown_grid", grid=grid_id[:120]))
        with self._commit:
            if grid_id is None:
                before = self.workflow.city.switch(mode, actor, reason)
                self.pipeline.mode = mode
            else:
                before = self.workflow.city.switch_area(grid_id, mode, actor, reason)
                self.pipeline.area_modes = {**self.pipeline.area_modes, grid_id: mode}
        return ModeSwitchedPublic(mode=mode, before=before, name=modes[mode].name,
                                  auto_dispatch_threshold=modes[mode].auto_dispatch_threshold, grid_id=grid_id)

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
