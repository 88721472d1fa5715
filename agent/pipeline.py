"""The triage pipeline: intake → understand → dedup → route → draft, every result in the audit log.
It orchestrates the stages; what each decides lives in its own module."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from agent.case_row import new_case_row
from agent.deadlines import StageClock, area_mode, compute_deadlines
from agent.dedup import DedupStage
from agent.drafting import Drafter, TemplateDrafter, make_drafter, outcome_events
from agent.intake import READABLE, IntakeStage, ReportRejected
from agent.models import Models
from agent.output import audited_understanding
from agent.parallel import internal_error, prepare_in_workers
from agent.review import disagreements, review_reasons
from agent.store import CaseStore
from agent.store.changes import ChangeFeed, CommitLock
from agent.store.city import CityMode
from agent.store.photo_files import PhotoFiles
from agent.store.store import QueuedDraft, Receipt, StoredReport, TriagedReport
from classifiers.text import speech_act
from core.messages import Message, message
from core.settings import Settings
from core.timing import timed
from core.types import (
    CaseDraft,
    Deadlines,
    DedupResult,
    DraftFacts,
    PreparedReport,
    ReportIn,
    SimilarCase,
    TriageResult,
    Understanding,
)


class TriagePipeline:
    def __init__(self, settings: Settings, models: Models | None = None, store: CaseStore | None = None,
                 drafter: Drafter | None = None, queue_drafts: bool = False) -> None:
        """`drafter` drafts every new case as it is stored (default: the one `settings.llm` names);
        with `queue_drafts`, each new case is also stored with a job for a drafter process
        (`gridtriage drafter`), which replaces that first draft with a language model's."""
        self.settings = settings
        self.queue_drafts = queue_drafts
        self._models = models
        self._store = store
        self._drafter = drafter
        self._template = TemplateDrafter()
        self._dedup: DedupStage | None = None
        self.warm_up_ms: dict[str, float] = {}

    def warm_up(self) -> None:
        if self._dedup is not None:
            return
        started = time.perf_counter()
        if self._models is None:
            self._models = Models.load(self.settings)
        self.warm_up_ms.update(self._models.warm_up_ms)
        with timed(self.warm_up_ms, "store"):
            if self._store is None:
                self._store = CaseStore.open(self.settings.db)
        kb = self._models.kb
        self._store.stages = StageClock(kb.policy)
        mode = self.settings.mode or kb.policy.default_mode
        if mode not in {m.id for m in kb.policy.modes}:
            raise ValueError(f"unknown mode {mode!r}; the knowledge base has "
                             + ", ".join(m.id for m in kb.policy.modes))
        self.mode = mode
        # The modes set for single grids (grid id → mode): a new case follows the most urgent of the
        # city's mode and those of the grids covering its point.
        self.area_modes: dict[str, str] = {a.grid_id: a.mode for a in CityMode(self._store).areas()}
        self._timezone = ZoneInfo(kb.meta.timezone)
        self.intake = IntakeStage(self.settings.max_report_chars, self._timezone)
        self.photo_files = PhotoFiles(self.settings.photo_store_dir())
        if self._drafter is None:
            self._drafter = make_drafter(self.settings.llm, kb)
        with timed(self.warm_up_ms, "drafter"):
            self._drafter.warm_up()
        with timed(self.warm_up_ms, "dedup_index"):
            # the feed starts before the index loads: a change made meanwhile is read again, never missed
            self._changes = ChangeFeed(self._store)
            self._commit_lock = CommitLock(self._store)
            dedup = DedupStage(kb, self._models.embedder.dimension, self.settings.dedup, store=self._store)
            dedup.warm_up()
        self._dedup = dedup
        self.warm_up_ms["total"] = (time.perf_counter() - started) * 1000

    @property
    def models(self) -> Models:
        self.warm_up()
        assert self._models is not None
        return self._models

    @property
    def timezone(self) -> ZoneInfo:
        """The city's time zone (the knowledge base's): times are shown and dates read in it."""
        self.warm_up()
        return self._timezone

    @property
    def store(self) -> CaseStore:
        self.warm_up()
        assert self._store is not None
        return self._store

    @property
    def drafter(self) -> Drafter:
        self.warm_up()
        assert self._drafter is not None
        return self._drafter

    @property
    def dedup(self) -> DedupStage:
        self.warm_up()
        assert self._dedup is not None
        return self._dedup

    def triage(self, report: ReportIn) -> TriageResult:
        """Triage one report and store it; raises ReportRejected for reports that cannot be taken."""
        return self.commit(self.prepare(report))

    def prepare(self, report: ReportIn) -> PreparedReport:
        """Everything that does not depend on the case store: intake, understanding, routing.
        Pure, so batches can prepare reports in parallel and commit them in order."""
        m = self.models
        t: dict[str, float] = {}
        with timed(t, "photos"):
            photos = m.photos.run(report.photos)
        with timed(t, "intake"):
            intake = self.intake.run(report, photos.facts)
        with timed(t, "understand"):
            text = intake.matching_text
            place = m.places.resolve(text, intake.address, intake.lat, intake.lon)
            content = m.places.content(text)  # what is wrong, without where: places are matched apart
            if photos.facts and len(READABLE.findall(text)) < 2:  # a lone letter is OCR noise (or says nothing)
                # Nothing to read: the photo alone says what it is, through a vision backend or a person.
                # A zero vector, so that text similarity never makes two such reports duplicates.
                vector = np.zeros(m.embedder.dimension, dtype=np.float32)
                tokens: list[str] = []
                classification = m.photos.classify(intake.photos)
            else:
                vector = m.embedder.embed_one(content[: self.settings.embed_max_chars])
                tokens = m.tokenizer.tokens(content)
                classification = m.classifier.classify_vector(content, vector)
            urgency = m.urgency.run(text, content, vector, classification)
        with timed(t, "route"):
            routing = m.router.run(tokens, vector, classification, place)
        return PreparedReport(
            intake=intake, vector=vector, routing=routing, timings_ms=t, photo_blobs=photos.blobs,
            understanding=Understanding(place=place, classification=classification, urgency=urgency,
                                        kind="request" if speech_act(text) == "request" else "incident"),
        )

    def commit(self, prepared: PreparedReport, batch_row: tuple[str, str] | None = None, *,
               auto_dispatch: bool = False, receipt: Receipt[TriageResult] | None = None) -> TriageResult:
        """Find the open case the report repeats and draft, then store the report, every stage's
        event and its new or merged case in one transaction; the dedup index learns of the case only
        once that transaction is committed. Stored with them: `batch_row` (input file's SHA-256, row
        id); with `auto_dispatch`, a new case that nothing needs a person for goes straight to
        `dispatched`; `receipt`, the API request's answer (raises AlreadyAnswered when its key was
        answered first). Other processes may share the database: the decision and the storing hold
        the commit lock, after catching up with what they changed."""
        self.warm_up()
        t = dict(prepared.timings_ms)
        with timed(t, "store"):
            for blob in prepared.photo_blobs:  # files first: a stored report never points at a missing photo
                self.photo_files.put(blob.sha256, blob.format, blob.data, blob.thumbnail)
        with self._commit_lock.held():  # no other process decides and stores meanwhile
            with timed(t, "dedup"):
                self._catch_up()
            return self._commit_locked(prepared, t, batch_row, auto_dispatch, receipt)

    def _catch_up(self) -> None:
        """What other processes sharing the database changed since the last report: their cases
        into the dedup index, a switch of the city's mode (unless this process was started in one)."""
        changes = self._changes.read()
        self.dedup.catch_up(changes.case_ids)
        if changes.mode is not None and self.settings.mode is None:
            self.mode = changes.mode
        if changes.areas is not None:
            self.area_modes = changes.areas

    def _commit_locked(self, prepared: PreparedReport, t: dict[str, float], batch_row: tuple[str, str] | None,
                       auto_dispatch: bool, receipt: Receipt[TriageResult] | None) -> TriageResult:
        store, dedup = self.store, self.dedup
        intake, understanding, routing, vector = (
            prepared.intake, prepared.understanding, prepared.routing, prepared.vector)
        place, classification = understanding.place, understanding.classification
        events: list[tuple[str, str, dict[str, Any]]] = [
            ("understand", "report.understood", audited_understanding(understanding))]
        reported_at = intake.reported_at or intake.received_at
        with timed(t, "dedup"):
            found = dedup.run(vector, place, classification, reported_at, intake.photos, understanding.kind)
        events += [("dedup", "report.dedup", found.model_dump(mode="json")),
                   ("route", "report.routed", routing.model_dump(mode="json"))]
        mode = self.case_mode(prepared)
        deadlines = self.deadlines(prepared, mode)
        # A report merged into an open case needs no new case file: the cheap template draft is
        # returned for it, and the case keeps the draft it was opened with.
        drafter = self._template if found.duplicate_of is not None else self.drafter
        facts = DraftFacts(intake=intake, understanding=understanding, routing=routing, dedup=found,
                           deadlines=deadlines, similar_cases=self._similar_cases(found))
        with timed(t, "draft"):
            outcome = drafter.draft(facts)
        draft = outcome.draft
        events += [*outcome_events(outcome), ("draft", "report.drafted", draft.model_dump(mode="json"))]
        review = (review_reasons(self.models.kb, mode, understanding, routing.joint, intake.photos)
                  + disagreements(draft, understanding, routing, self.models.kb))

        def result_of(stored: StoredReport) -> TriageResult:
            return TriageResult(
                case_id=stored.case_id, report_id=stored.report_id, duplicate_of=found.duplicate_of,
                reporter_count=stored.reporters, status=stored.status, intake=intake, understanding=understanding,
                dedup=found, routing=routing, deadlines=deadlines, draft=draft,
                draft_fallback=outcome.fallback_reason, draft_queued=draft_job is not None,
                needs_review=bool(review), review_reasons=tuple(review),
                timings_ms={k: round(v, 2) for k, v in t.items()},
            )

        stored_receipt = None if receipt is None else Receipt[StoredReport](
            client_id=receipt.client_id, key=receipt.key, request_hash=receipt.request_hash,
            answer=lambda stored: receipt.answer(result_of(stored)))
        draft_job = QueuedDraft(facts=facts.model_dump(mode="json"), priority=understanding.urgency.priority) \
            if self.queue_drafts and found.duplicate_of is None else None
        dispatch_note = (f"confidence {classification.confidence:.2f} meets the {mode} threshold; "
                         "nothing needs a person") if auto_dispatch and not review else None
        with timed(t, "store"):
            if found.duplicate_of is not None:
                best = next(c for c in found.candidates if c.case_id == found.duplicate_of)
                triaged = TriagedReport(intake=intake, events=events, reported_at=reported_at,
                                        merge_into=found.duplicate_of, evidence=best.model_dump(mode="json"),
                                        batch_row=batch_row, receipt=stored_receipt)
            else:
                triaged = TriagedReport(intake=intake, events=events, reported_at=reported_at,
                                        case_fields=new_case_row(prepared, deadlines, draft, review, mode,
                                                                 self._grid_first(prepared)),
                                        embedding=vector, batch_row=batch_row, dispatch_note=dispatch_note,
                                        receipt=stored_receipt, draft_job=draft_job)
            stored = store.store_triaged(triaged)
            self._changes.written_here(stored.audit_ids)
            if found.duplicate_of is not None:
                dedup.touch(stored.case_id, reported_at)
                dedup.add_photos(stored.case_id, intake.photos)
            else:
                dedup.register(stored.case_id, vector, place, classification.category.id, reported_at,
                               intake.photos, understanding.kind)
        return result_of(stored)

    def triage_many(self, reports: Iterable[ReportIn | Exception], workers: int = 1,
                    batch_rows: Iterable[tuple[str, str] | None] | None = None,
                    ) -> Iterator[TriageResult | Exception]:
        """Triage in input order. With workers > 1, `prepare` runs in forked worker processes that
        share the loaded models, while this process commits each report in order, so duplicates
        inside a batch merge exactly as they do one at a time. A report that cannot be triaged
        yields its exception in its place; an exception given as input passes through. `batch_rows`,
        one per report, are stored with the reports (see `commit`)."""
        self.warm_up()
        rows = iter(batch_rows) if batch_rows is not None else itertools.repeat(None)
        if workers <= 1:
            for report in reports:
                row = next(rows)
                yield report if isinstance(report, Exception) else self._safely(
                    partial(self._triage_row, report, row))
            return
        for prepared in prepare_in_workers(self.models, self.prepare, reports, workers):
            row = next(rows)
            yield prepared if isinstance(prepared, Exception) else self._safely(
                partial(self.commit, prepared, row))

    def _triage_row(self, report: ReportIn, batch_row: tuple[str, str] | None) -> TriageResult:
        return self.commit(self.prepare(report), batch_row)

    @staticmethod
    def _safely(step: Callable[[], TriageResult]) -> TriageResult | Exception:
        try:
            return step()
        except (ReportRejected, ValueError) as exc:
            return exc
        except Exception as exc:  # one broken report must not lose the reports after it
            return internal_error(exc)

    def _open_case(self, report_id: int, prepared: PreparedReport, deadlines: Deadlines, draft: CaseDraft,
                   review: list[Message], reported_at: datetime) -> int:
        u = prepared.understanding
        fields = new_case_row(prepared, deadlines, draft, review, deadlines.mode, self._grid_first(prepared))
        case_id = self.store.create_case(report_id, fields, prepared.vector, reported_at)
        self.dedup.register(case_id, prepared.vector, u.place, u.classification.category.id, reported_at,
                            prepared.intake.photos, u.kind)
        return case_id

    def split_off(self, report_id: int, report: ReportIn) -> int:
        """Open a new case for a stored report that a person took out of its case: understood and
        routed afresh, drafted from templates, and always left for review."""
        prepared = self.prepare(report)
        deadlines = self.deadlines(prepared)
        draft = self._template.draft(DraftFacts(intake=prepared.intake, understanding=prepared.understanding,
                                                routing=prepared.routing,
                                                dedup=DedupResult(duplicate_of=None), deadlines=deadlines)).draft
        reported_at = prepared.intake.reported_at or prepared.intake.received_at
        return self._open_case(report_id, prepared, deadlines, draft, [message("review.split")], reported_at)

    def case_mode(self, prepared: PreparedReport) -> str:
        """The mode a new case follows: the most urgent of the city's and those of the grids covering
        the report's point (agent.deadlines.area_mode says how "most urgent" is decided)."""
        u = prepared.understanding
        return area_mode(self.models.kb, self.mode, self.area_modes, u.place.model_dump(mode="json"),
                         u.classification.category.id, u.urgency.priority,
                         prepared.intake.received_at.astimezone(self._timezone))

    def deadlines(self, prepared: PreparedReport, mode: str | None = None) -> Deadlines:
        """Respond/arrive/resolve times from the category, the priority and the mode covering the place
        (`mode`, else worked out), on the city's clock."""
        u = prepared.understanding
        return compute_deadlines(self.models.kb, mode or self.case_mode(prepared), u.classification.category.id,
                                 u.urgency.priority, prepared.intake.received_at.astimezone(self._timezone))

    def _grid_first(self, prepared: PreparedReport) -> bool:
        leaf = self.models.kb.leaves.get(prepared.understanding.classification.category.id)
        return bool(leaf is not None and leaf.grid_first)

    def _similar_cases(self, found: DedupResult) -> tuple[SimilarCase, ...]:
        near = [c for c in found.candidates if c.verdict != "different"][:2]
        titles = self.store.case_titles([c.case_id for c in near]) if near else {}
        return tuple(SimilarCase(case_id=c.case_id, title=titles[c.case_id], verdict=c.verdict)
                     for c in near if c.case_id in titles)

