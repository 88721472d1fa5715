"""The triage pipeline: intake → understand → dedup → route → draft, every result in the audit log."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from agent.deadlines import compute_deadlines
from agent.dedup import DedupStage
from agent.drafting import Drafter, TemplateDrafter, make_drafter
from agent.intake import READABLE, IntakeStage, ReportRejected
from agent.router import Router
from agent.store import CaseStore
from agent.store.photo_files import PhotoFiles
from classifiers.category import CategoryClassifier
from classifiers.embedders import Embedder, make_embedder
from classifiers.photos import PhotoReader, PhotoRejected
from classifiers.text import Tokenizer, speech_act
from classifiers.urgency import UrgencyDetector
from classifiers.vision import VisionBackend, VisualCandidate, make_vision, visual_candidates
from core.messages import Message, lookup, message
from core.settings import Settings
from core.types import (
    CaseDraft,
    CategoryScore,
    Classification,
    Deadlines,
    DedupResult,
    DraftFacts,
    DraftOutcome,
    PhotoBlob,
    PhotoFacts,
    PhotoIn,
    PreparedReport,
    ReportIn,
    Routing,
    SimilarCase,
    TriageResult,
    Understanding,
)
from knowledge.duty_index import DutyIndex
from knowledge.loader import KnowledgeBase, load_kb
from knowledge.places import PlaceResolver


@dataclass
class Models:
    """The stateless, expensive parts: loaded once, shared by every pipeline over any store."""

    kb: KnowledgeBase
    embedder: Embedder
    tokenizer: Tokenizer
    places: PlaceResolver
    classifier: CategoryClassifier
    urgency: UrgencyDetector
    router: Router
    photo_reader: PhotoReader  # OCR loads on the first photo (or `warm_up_photos`), not for text reports
    vision: VisionBackend | None = None
    visual_candidates: tuple[VisualCandidate, ...] = ()
    warm_up_ms: dict[str, float] = field(default_factory=dict)

    @classmethod
    def load(cls, settings: Settings) -> Models:
        timings: dict[str, float] = {}
        with _timed(timings, "kb"):
            kb = load_kb(settings.kb_dir)
        with _timed(timings, "embedder"):
            embedder = make_embedder(settings.embedder)
            embedder.warm_up()
        with _timed(timings, "tokenizer"):
            tokenizer = Tokenizer(kb.vocabulary())
        places = PlaceResolver(kb)
        classifier = CategoryClassifier(kb, embedder, tokenizer, text_filter=places.content,
                                        embed_max_chars=settings.embed_max_chars, model_dir=settings.model_dir)
        models = cls(
            kb=kb, embedder=embedder, tokenizer=tokenizer, places=places, classifier=classifier,
            urgency=UrgencyDetector(kb, embedder, tokenizer, classifier, text_filter=places.content,
                                    settings=settings.urgency, embed_max_chars=settings.embed_max_chars),
            router=Router(kb, DutyIndex(kb, embedder, tokenizer), settings.router),
            photo_reader=PhotoReader(settings.photos, kb.coordinate_system, ZoneInfo(kb.meta.timezone)),
            vision=make_vision(settings.vision),
            visual_candidates=visual_candidates(kb),
        )
        for name in ("places", "classifier", "urgency", "router"):
            with _timed(timings, name):
                getattr(models, name).warm_up()
        if models.vision is not None:
            with _timed(timings, "vision"):
                models.vision.warm_up()
        models.warm_up_ms = timings
        return models

    def warm_up_photos(self) -> None:
        """Load the OCR models now rather than on the first photo (a server does this at start)."""
        with _timed(self.warm_up_ms, "photos"):
            self.photo_reader.warm_up()


class TriagePipeline:
    def __init__(self, settings: Settings, models: Models | None = None, store: CaseStore | None = None,
                 drafter: Drafter | None = None) -> None:
        self.settings = settings
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
        with _timed(self.warm_up_ms, "store"):
            if self._store is None:
                self._store = CaseStore.open(self.settings.db)
        kb = self._models.kb
        mode = self.settings.mode or kb.policy.default_mode
        if mode not in {m.id for m in kb.policy.modes}:
            raise ValueError(f"unknown mode {mode!r}; the knowledge base has "
                             + ", ".join(m.id for m in kb.policy.modes))
        self.mode = mode
        self._timezone = ZoneInfo(kb.meta.timezone)
        self.intake = IntakeStage(self.settings.max_report_chars, self._timezone)
        self.photo_files = PhotoFiles(self.settings.photo_store_dir())
        if self._drafter is None:
            self._drafter = make_drafter(self.settings.llm, kb)
        with _timed(self.warm_up_ms, "drafter"):
            self._drafter.warm_up()
        with _timed(self.warm_up_ms, "dedup_index"):
            dedup = DedupStage(kb, self._models.embedder.dimension, self.settings.dedup)
            dedup.warm_up(self._store)
        self._dedup = dedup
        self.warm_up_ms["total"] = (time.perf_counter() - started) * 1000

    @property
    def models(self) -> Models:
        self.warm_up()
        assert self._models is not None
        return self._models

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
        with _timed(t, "photos"):
            facts, blobs = self._read_photos(report.photos)
        with _timed(t, "intake"):
            intake = self.intake.run(report, facts)
        with _timed(t, "understand"):
            text = intake.matching_text
            place = m.places.resolve(text, intake.address, intake.lat, intake.lon)
            content = m.places.content(text)  # what is wrong, without where: places are matched apart
            if facts and len(READABLE.findall(text)) < 2:  # a lone letter is OCR noise (or says nothing)
                # Nothing to read: the photo alone says what it is, through a vision backend or a person.
                # A zero vector, so that text similarity never makes two such reports duplicates.
                vector = np.zeros(m.embedder.dimension, dtype=np.float32)
                tokens: list[str] = []
                classification = self._photo_only_classification(intake.photos)
            else:
                vector = m.embedder.embed_one(content[: self.settings.embed_max_chars])
                tokens = m.tokenizer.tokens(content)
                classification = m.classifier.classify_vector(content, vector)
            urgency = m.urgency.run(text, content, vector, classification)
        with _timed(t, "route"):
            routing = m.router.run(tokens, vector, classification, place)
        return PreparedReport(
            intake=intake, vector=vector, routing=routing, timings_ms=t, photo_blobs=blobs,
            understanding=Understanding(place=place, classification=classification, urgency=urgency,
                                        kind="request" if speech_act(text) == "request" else "incident"),
        )

    def _read_photos(self, photos: tuple[PhotoIn, ...]) -> tuple[list[PhotoFacts], tuple[PhotoBlob, ...]]:
        """Validate and read every photo (OCR, EXIF, hashes; the scene when a vision backend is set).
        One bad photo refuses the report, naming the photo, before anything is stored."""
        if not photos:
            return [], ()
        m, limit = self.models, self.settings.photos.max_photos
        if len(photos) > limit:
            raise ReportRejected(message("report.too_many_photos", n=len(photos), limit=limit))
        facts, blobs = [], []
        for number, photo in enumerate(photos, 1):
            try:
                reading = m.photo_reader.read(photo)
            except PhotoRejected as exc:
                name = message("photo.named", filename=photo.filename) if photo.filename else ""
                values = {k: message(f"photo.kind.{v}") if k == "kind" else v for k, v in exc.values.items()}
                raise ReportRejected(message("report.photo", number=number, name=name,
                                             reason=message(f"photo.{exc.code}", **values))) from exc
            fact = reading.facts
            if m.vision is not None and m.visual_candidates:
                fact = fact.model_copy(update={"scene": m.vision.classify(reading.image, m.visual_candidates)})
            facts.append(fact)
            blobs.append(PhotoBlob(sha256=fact.sha256, format=fact.format, data=reading.data,
                                   thumbnail=reading.thumbnail))
        return facts, tuple(blobs)

    def _photo_only_classification(self, photos: tuple[PhotoFacts, ...]) -> Classification:
        """The scene a vision backend saw, or the knowledge base's category for a person to decide."""
        kb, ref = self.models.kb, self.models.classifier.category_ref
        guesses = [p.scene for p in photos if p.scene is not None and p.scene.category_id in kb.leaves]
        if guesses:
            best = max(guesses, key=lambda g: g.score or 0.0)
            assert best.category_id is not None
            scored = [(best.category_id, best.score or 0.0),
                      *((cid, p) for cid, p in best.alternatives if cid in kb.leaves and cid != best.category_id)]
            return Classification(category=ref(best.category_id), confidence=round(best.score or 0.0, 4),
                                  alternatives=tuple(CategoryScore(category=ref(cid), probability=p)
                                                     for cid, p in scored), source="photo")
        leaf = kb.policy.photo_only_category
        if leaf is None:
            raise ReportRejected(message("report.photo_only_unread"))
        return Classification(category=ref(leaf), confidence=0.0, source="none",
                              alternatives=(CategoryScore(category=ref(leaf), probability=1.0),))


    def commit(self, prepared: PreparedReport) -> TriageResult:
        """Store the report, record every stage, then merge it into an open case or open a new one."""
        store, dedup = self.store, self.dedup
        intake, understanding, routing, vector = (
            prepared.intake, prepared.understanding, prepared.routing, prepared.vector)
        place, classification = understanding.place, understanding.classification
        t = dict(prepared.timings_ms)
        with _timed(t, "store"):
            for blob in prepared.photo_blobs:  # files first: a stored report never points at a missing photo
                self.photo_files.put(blob.sha256, blob.format, blob.data, blob.thumbnail)
            report_id = store.add_report(intake)
            store.log("understand", "report.understood", understanding.model_dump(mode="json"), report_id)
        reported_at = intake.reported_at or intake.received_at
        with _timed(t, "dedup"):
            found = dedup.run(vector, place, classification, reported_at, intake.photos, understanding.kind)
            store.log("dedup", "report.dedup", found.model_dump(mode="json"), report_id)
        with _timed(t, "store"):
            store.log("route", "report.routed", routing.model_dump(mode="json"), report_id)
        deadlines = self.deadlines(prepared)
        # A report merged into an open case needs no new case file: the cheap template draft is
        # returned for it, and the case keeps the draft it was opened with.
        drafter = self._template if found.duplicate_of is not None else self.drafter
        with _timed(t, "draft"):
            outcome = drafter.draft(DraftFacts(
                intake=intake, understanding=understanding, routing=routing, dedup=found,
                deadlines=deadlines, similar_cases=self._similar_cases(found)))
        draft = outcome.draft
        with _timed(t, "store"):
            self._log_outcome(outcome, report_id)
            store.log("draft", "report.drafted", draft.model_dump(mode="json"), report_id)
        review = (self._review_reasons(understanding, routing.joint, intake.photos)
                  + _disagreements(draft, understanding, routing, self.models.kb))
        with _timed(t, "store"):
            if found.duplicate_of is not None:
                case_id = found.duplicate_of
                best = next(c for c in found.candidates if c.case_id == case_id)
                reporters = store.merge_report(case_id, report_id, reported_at, best.model_dump(mode="json"))
                dedup.touch(case_id, reported_at)
                dedup.add_photos(case_id, intake.photos)
            else:
                case_id = self._open_case(report_id, prepared, deadlines, draft, review, reported_at)
                reporters = 1
        return TriageResult(
            case_id=case_id, report_id=report_id, duplicate_of=found.duplicate_of,
            reporter_count=reporters, intake=intake, understanding=understanding, dedup=found, routing=routing,
            deadlines=deadlines, draft=draft, draft_fallback=outcome.fallback_reason,
            needs_review=bool(review), review_reasons=tuple(review),
            timings_ms={k: round(v, 2) for k, v in t.items()},
        )

    def triage_many(self, reports: Iterable[ReportIn | Exception], workers: int = 1,
                    ) -> Iterator[TriageResult | Exception]:
        """Triage in input order. With workers > 1, `prepare` runs in forked worker processes that
        share the loaded models, while this process commits each report in order, so duplicates
        inside a batch merge exactly as they do one at a time. A report that cannot be triaged
        yields its exception in its place; an exception given as input passes through."""
        self.warm_up()
        if workers <= 1:
            for report in reports:
                yield report if isinstance(report, Exception) else self._safely(self.triage, report)
            return
        global _FORKED
        _FORKED = self
        with multiprocessing.get_context("fork").Pool(workers, initializer=_one_thread_each) as pool:
            for prepared in pool.imap(_prepare_in_worker, reports, chunksize=8):
                yield prepared if isinstance(prepared, Exception) else self._safely(self.commit, prepared)

    @staticmethod
    def _safely(step: Callable[[Any], TriageResult], value: Any) -> TriageResult | Exception:
        try:
            return step(value)
        except (ReportRejected, ValueError) as exc:
            return exc
        except Exception as exc:  # one broken report must not lose the reports after it
            return _internal(exc)

    def _review_reasons(self, u: Understanding, joint: bool, photos: tuple[PhotoFacts, ...] = ()) -> list[Message]:
        """Why a person must look before the case goes out (catalogue messages, Chinese by default)."""
        kb = self.models.kb
        mode = next(m for m in kb.policy.modes if m.id == self.mode)
        reasons = []
        if u.urgency.emergency:
            reasons.append(message("review.emergency", services="、".join(c.name for c in u.urgency.emergency.call)))
        elif u.urgency.urgent:
            reasons.append(message("review.urgent"))
        category = u.classification.category
        scenes = [p.scene for p in photos if p.scene is not None and p.scene.category_id]
        if u.classification.source == "none":
            reasons.append(message("review.photo_only"))
        elif u.classification.source == "photo":
            reasons.append(message("review.photo_category", backend=scenes[0].backend if scenes else "vision"))
        elif u.classification.confidence < mode.auto_dispatch_threshold:
            reasons.append(message("review.low_confidence", confidence=f"{u.classification.confidence:.2f}",
                                   mode=mode.name, threshold=f"{mode.auto_dispatch_threshold:.2f}"))
        for scene in scenes:
            if scene.category_id != category.id and scene.category_id in kb.leaves:
                reasons.append(message("review.photo_disagrees", photo=kb.leaves[scene.category_id].name,
                                       backend=scene.backend, text=category.name))
                break
        if joint:
            reasons.append(message("review.joint"))
        if u.place.outside_city:
            reasons.append(message("review.outside_city", city=kb.meta.city, place=u.place.outside_city))
        if kb.policy.off_remit_category and u.classification.category.id == kb.policy.off_remit_category:
            reasons.append(message("review.off_remit"))
        return reasons

    def _open_case(self, report_id: int, prepared: PreparedReport, deadlines: Deadlines, draft: CaseDraft,
                   review: list[Message], reported_at: datetime) -> int:
        u, routing, place = prepared.understanding, prepared.routing, prepared.understanding.place
        classification, urgency = u.classification, u.urgency
        case_id = self.store.create_case(report_id, {
            "status": "received",
            "category_id": classification.category.id,
            "category_name": classification.category.name,
            "priority": urgency.priority, "urgent": urgency.urgent,
            "confidence": classification.confidence, "needs_review": bool(review),
            "title": draft.title, "summary": draft.summary,
            "district_id": place.district.id if place.district else None,
            "street_id": place.street.id if place.street else None,
            "lead_department_id": routing.lead.id, "mode": self.mode,
            "respond_by": deadlines.respond_by, "arrive_by": deadlines.arrive_by,
            "resolve_by": deadlines.resolve_by,
            "place": place.model_dump(mode="json"),
            "departments": [d.model_dump(mode="json") for d in routing.departments],
            "draft": draft.model_dump(mode="json"),
            "emergency": urgency.emergency.model_dump(mode="json") if urgency.emergency else None,
            "kind": u.kind,
        }, prepared.vector, reported_at)
        self.dedup.register(case_id, prepared.vector, place, classification.category.id, reported_at,
                            prepared.intake.photos, u.kind)
        return case_id

    def facts(self, result: TriageResult) -> DraftFacts:
        """What a drafter needs to (re)draft the case a result opened."""
        return DraftFacts(intake=result.intake, understanding=result.understanding, routing=result.routing,
                          dedup=result.dedup, deadlines=result.deadlines,
                          similar_cases=self._similar_cases(result.dedup))

    def redraft(self, result: TriageResult, drafter: Drafter) -> DraftOutcome:
        """Draft an opened case again (the API drafts from templates at once, then with the LLM in
        the background): every call is logged; a draft without fallback replaces the case's draft,
        and a draft that disagrees with the decision sends a still-unreviewed case to review."""
        outcome = drafter.draft(self.facts(result))
        self._log_outcome(outcome, result.report_id, result.case_id)
        if outcome.fallback_reason:
            return outcome
        self.store.replace_draft(result.case_id, outcome.draft.model_dump(mode="json"),
                                 [m.public() for m in _disagreements(outcome.draft, result.understanding,
                                                                     result.routing, self.models.kb)])
        return outcome

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

    def deadlines(self, prepared: PreparedReport) -> Deadlines:
        """Respond/arrive/resolve times from the category, the priority and the city's current mode,
        on the city's clock."""
        u = prepared.understanding
        return compute_deadlines(self.models.kb, self.mode, u.classification.category.id, u.urgency.priority,
                                 prepared.intake.received_at.astimezone(self._timezone))

    def _log_outcome(self, outcome: DraftOutcome, report_id: int, case_id: int | None = None) -> None:
        """Every model call of a draft, and why the template took over if it did."""
        for call in outcome.calls:
            self.store.log("draft", "llm.call", call.model_dump(mode="json"), report_id, case_id)
        if outcome.fallback_reason:
            self.store.log("draft", "draft.fallback", {"reason": outcome.fallback_reason,
                                                       "drafter": outcome.draft.drafter}, report_id, case_id)

    def _similar_cases(self, found: DedupResult) -> tuple[SimilarCase, ...]:
        near = [c for c in found.candidates if c.verdict != "different"][:2]
        titles = self.store.case_titles([c.case_id for c in near]) if near else {}
        return tuple(SimilarCase(case_id=c.case_id, title=titles[c.case_id], verdict=c.verdict)
                     for c in near if c.case_id in titles)


def _disagreements(draft: CaseDraft, u: Understanding, routing: Routing, kb: KnowledgeBase) -> list[Message]:
    """Where the drafter proposes something other than the pipeline decided. The pipeline's
    decision stands; a person settles the difference."""
    def category(leaf_id: str) -> str:
        return kb.leaves[leaf_id].name if leaf_id in kb.leaves else leaf_id

    def department(dept_id: str) -> str:
        return kb.departments[dept_id].name if dept_id in kb.departments else dept_id

    reasons = []
    if draft.category_id != u.classification.category.id:
        reasons.append(message("review.drafter_category", proposed=category(draft.category_id),
                               chosen=u.classification.category.name))
    if draft.lead_department_id not in {d.id for d in routing.departments if d.role == "lead"}:
        reasons.append(message("review.drafter_lead", proposed=department(draft.lead_department_id),
                               chosen=routing.lead.name))
    if draft.priority != u.urgency.priority:
        reasons.append(message("review.drafter_priority", proposed=lookup(f"priority.{draft.priority}"),
                               chosen=lookup(f"priority.{u.urgency.priority}")))
    return reasons


_FORKED: TriagePipeline | None = None


def _one_thread_each() -> None:
    """Workers share the machine's cores: more than one BLAS thread each only makes them spin."""
    assert _FORKED is not None
    _FORKED.models.embedder.limit_threads(1)


def _prepare_in_worker(report: ReportIn | Exception) -> PreparedReport | Exception:
    if isinstance(report, Exception):
        return report
    assert _FORKED is not None
    try:
        return _FORKED.prepare(report)
    except (ReportRejected, ValueError) as exc:
        return exc
    except Exception as exc:
        return _internal(exc)


def _internal(exc: Exception) -> RuntimeError:
    return RuntimeError(f"internal error ({type(exc).__name__}: {exc}); the report was not triaged, "
                        "please report this with the input")


@contextmanager
def _timed(into: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        into[name] = into.get(name, 0.0) + (time.perf_counter() - start) * 1000
