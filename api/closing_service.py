"""Closing the loop, as the JSON routes and the pages do it: a department's disposal read (after-photos
through the same photo stage as reports), verified (智能核查) and stored; a supervisor's decision on a
verification left to a person; the reply drafted from the disposal (智能生成) and sent; the callback.
Department keys and users reach only their own department's cases: another department's case is
"not found" to them, so they learn nothing about it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from functools import cached_property

from agent.intake import ReportRejected
from agent.reply_drafting import ReplyDrafter, reply_facts
from agent.store.keys import ApiClient
from agent.verification import VerificationStage
from api.cases_service import CaseService
from api.responses import DisposalAnsweredPublic, ReplyDraftPublic, ReplySentPublic, VerificationPublic
from api.schemas import MAX_DISPOSAL_PHOTOS, CommitmentIn, DisposalCreate, ReplySend
from classifiers.replies import ReplyChecker
from core.messages import Forbidden, Refusal, message
from core.photo_types import PhotoFacts, PhotoIn
from core.records import CaseRecord, DisposalRecord
from core.types import Commitment, Disposal, ReplyDraft, ReplyFacts, Verification, VerifiedCase


class ClosingService:
    def __init__(self, cases: CaseService, reply_drafter: ReplyDrafter, queue_replies: bool = False) -> None:
        """`reply_drafter` answers at once (the template, or a model that runs elsewhere);
        `queue_replies`: the drafter processes also draft each verified case's reply with the local
        model, and that draft is offered once it is stored."""
        self.cases = cases
        self.pipeline, self.workflow = cases.pipeline, cases.workflow
        self.reply_drafter, self.queue_replies = reply_drafter, queue_replies

    @cached_property
    def verification(self) -> VerificationStage:
        models, settings = self.pipeline.models, self.pipeline.settings.verification
        return VerificationStage(ReplyChecker(models.embedder, models.tokenizer, settings), settings,
                                 vision=models.photos.vision is not None)

    @property
    def timezone(self) -> tzinfo:
        return self.pipeline.timezone

    # ---- disposal (处置) and verification (核查) ---------------------------------------------------
    def dispose(self, case_id: int, client: ApiClient, body: DisposalCreate,
                photos: tuple[PhotoIn, ...] = ()) -> DisposalAnsweredPublic:
        if not client.department_id:
            raise Forbidden(message("disposal.no_department"))
        case = self.cases.case_record(case_id, client)
        if len(photos) > MAX_DISPOSAL_PHOTOS:
            raise Refusal(message("disposal.too_many_photos", n=len(photos), limit=MAX_DISPOSAL_PHOTOS))
        try:
            read = self.pipeline.models.photos.run(photos)
        except ReportRejected as exc:  # the same words a report's bad photo gets
            raise Refusal(exc.message) from exc
        for blob in read.blobs:
            self.pipeline.photo_files.put(blob.sha256, blob.format, blob.data, blob.thumbnail)
        disposal = Disposal(reply=body.reply.strip(), outcome=body.outcome, photos=read.facts,
                            commitments=tuple(self._commitment(c) for c in body.commitments))
        verification = self.verification.run(self._verified_case(case), disposal)
        disposed = self.workflow.loop.dispose(case_id, client.department_id, client.actor, disposal, verification,
                                              queue_reply=self.queue_replies)
        self.cases.triage.forget_if_closed(case_id, disposed.status)
        return DisposalAnsweredPublic(case=self.cases.summary(case_id), disposal_id=disposed.disposal_id,
                                      attempt=disposed.attempt, verification=_public(verification))

    def decide(self, case_id: int, client: ApiClient, verdict: str, note: str) -> str:
        self.cases.case_record(case_id, client)
        return self.workflow.loop.decide(case_id, verdict, note.strip(), client.actor, queue_reply=self.queue_replies)

    # ---- the reply (智能生成) and the callback (回访) -----------------------------------------------
    def reply_draft(self, case_id: int, client: ApiClient) -> ReplyDraftPublic:
        case = self.cases.case_record(case_id, client)
        disposal = _latest(case)
        if disposal is None:
            raise Refusal(message("reply.no_disposal", id=case_id))
        stored = case.reply_draft
        if stored is not None and stored.get("disposal_id") == disposal.id:  # the drafter process's model draft
            draft = ReplyDraft.model_validate({k: v for k, v in stored.items() if k != "disposal_id"})
        else:
            draft = self.reply_drafter.draft(self.reply_facts(case, disposal))
        return ReplyDraftPublic(case_id=case_id, disposal_id=disposal.id, text=draft.text, source=draft.source,
                                unsupported=list(draft.unsupported), fallback_reason=draft.fallback_reason,
                                latency_ms=draft.latency_ms, pending=case.reply_job in ("queued", "drafting"))

    def send_reply(self, case_id: int, client: ApiClient, body: ReplySend) -> ReplySentPublic:
        """Send the reply a person approved; `body.drafted` and `body.source` say what draft they
        started from, so the audit shows how much they changed."""
        self.cases.case_record(case_id, client)
        if not body.text.strip():
            raise Refusal(message("reply.empty"))
        offered = {"text": body.drafted, "source": body.source}
        reply_id = self.workflow.loop.send_reply(case_id, body.text.strip(), offered, client.actor)
        return ReplySentPublic(case=self.cases.summary(case_id), reply_id=reply_id)

    def callback(self, case_id: int, client: ApiClient, satisfaction: str, note: str) -> str:
        self.cases.case_record(case_id, client)
        status = self.workflow.loop.callback(case_id, satisfaction, note.strip(), client.actor)
        self.cases.triage.forget_if_closed(case_id, status)
        return status

    # ---- helpers --------------------------------------------------------------------------------
    def reply_facts(self, case: CaseRecord, disposal: DisposalRecord) -> ReplyFacts:
        department = self.pipeline.models.kb.departments.get(disposal.department_id)
        return reply_facts(case, disposal, department.name if department else disposal.department_id)

    def _verified_case(self, case: CaseRecord) -> VerifiedCase:
        first = min(case.reports, key=lambda r: r.received_at) if case.reports else None
        before = tuple(PhotoFacts.model_validate(p) for r in case.reports for p in r.photos)
        text = "\n".join(r.text for r in case.reports) or case.summary
        return VerifiedCase(text=text, title=case.title, reported_at=first.received_at if first else case.respond_by,
                            lat=case.place.get("lat"), lon=case.place.get("lon"), photos=before)

    def _commitment(self, given: CommitmentIn) -> Commitment:
        due = given.due
        if isinstance(due, datetime):
            moment = due if due.tzinfo else due.replace(tzinfo=self.timezone)
        elif isinstance(due, date):
            moment = datetime.combine(due, time(23, 59, 59), tzinfo=self.timezone)
        else:
            return Commitment(text=given.text.strip())
        return Commitment(text=given.text.strip(), due=moment.astimezone(UTC))


def _latest(case: CaseRecord) -> DisposalRecord | None:
    return case.disposals[-1] if case.disposals else None


def _public(verification: Verification) -> VerificationPublic:
    return VerificationPublic(verdict=verification.verdict, reasons=[m.public() for m in verification.reasons],
                              relevance=verification.relevance, substance=verification.substance,
                              completeness=verification.completeness,
                              evidence=verification.evidence)

