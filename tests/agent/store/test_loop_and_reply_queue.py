"""Closing the loop in the store, on SQLite and PostgreSQL: a disposal moves the case by its
verification's verdict; a passed one queues the reply for the drafter processes, which draft it with
the real LLM reply drafter over the `fake` provider (replies written here, no model) and store it
beside the disposal it answers, or leave the template reply when the model invents facts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.draft_worker import DraftWorker
from agent.drafting import TemplateDrafter
from agent.llm import make_provider
from agent.models import Models
from agent.pipeline import TriagePipeline
from agent.reply_drafting import LLMReplyDrafter
from agent.store.workflow import Workflow
from core.messages import Refusal, message
from core.settings import LLMSettings, Settings
from core.types import Disposal, ReportIn, Verification
from tests.support.llm import audit_payloads

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

REPORT = "文化路和红旗路交叉口往北50米人行道上井盖没了，晚上很危险"
DONE = "经查，我局市政养护队已于12月3日在该处补装井盖，并排查周边井盖5处。"


@pytest.fixture
def pipeline(models: Models, database: str, tmp_path: Path) -> Any:
    pipeline = TriagePipeline(Settings(db=database, llm=LLMSettings(provider="none"),
                                       photos_dir=str(tmp_path / "photos")), models=models)
    pipeline.warm_up()
    yield pipeline
    pipeline.store.close()


def verification(verdict: str) -> Verification:
    return Verification(verdict=verdict, reasons=(message("verify.passed"),), relevance=0.9,
                        substance=0.9)


def dispatched(pipeline: TriagePipeline) -> tuple[Workflow, int, str]:
    workflow = Workflow(pipeline.store)
    case_id = pipeline.triage(ReportIn(text=REPORT)).case_id
    assert case_id is not None
    row = workflow.queries.summary(case_id)
    if row.status == "received":
        workflow.actions.confirm(case_id, "supervisor:test")
    return workflow, case_id, workflow.queries.summary(case_id).lead_department_id


def worker(pipeline: TriagePipeline, *script: str) -> DraftWorker:
    settings = LLMSettings(provider="fake", script=script)
    return DraftWorker(pipeline.store, TemplateDrafter(), pipeline.models.kb,
                       reply_drafter=LLMReplyDrafter(settings, make_provider(settings)))


def test_each_verdict_moves_the_case_and_a_pass_queues_the_reply(pipeline: TriagePipeline) -> None:
    workflow, case_id, lead = dispatched(pipeline)
    with pytest.raises(Refusal, match="不由部门"):
        workflow.loop.dispose(case_id, "no-such-office", "department:x", Disposal(reply=DONE, outcome="resolved"),
                              verification("pass"))
    failed = workflow.loop.dispose(case_id, lead, "department:x", Disposal(reply="已收悉。", outcome="resolved"),
                                   verification("fail"))
    assert (failed.status, failed.attempt) == ("returned", 1)
    person = workflow.loop.dispose(case_id, lead, "department:x", Disposal(reply=DONE, outcome="resolved"),
                                   verification("needs_person"), queue_reply=True)
    assert person.status == "disposed"
    case = pipeline.store.case(case_id)
    assert case is not None
    assert case.reply_job is None, "no reply is drafted before verification passes"
    assert workflow.loop.decide(case_id, "pass", "", "supervisor:test", queue_reply=True) == "verified"
    case = pipeline.store.case(case_id)
    assert case is not None
    assert case.reply_job == "queued"
    assert case.return_count == 1
    with pytest.raises(Refusal):
        workflow.loop.decide(case_id, "pass", "", "supervisor:test")  # nothing waits for a person now


def test_a_drafter_drafts_the_reply_beside_its_disposal(pipeline: TriagePipeline) -> None:
    workflow, case_id, lead = dispatched(pipeline)
    done = workflow.loop.dispose(case_id, lead, "department:x", Disposal(reply=DONE, outcome="resolved"),
                                 verification("pass"), queue_reply=True)
    assert done.status == "verified"
    text = ("您好！您反映的井盖缺失问题，市政养护队已于12月3日补装井盖，并排查周边井盖5处。"
            "感谢您的支持！如有问题请拨打12345。")
    drafter = worker(pipeline, json.dumps({"text": text}, ensure_ascii=False))
    assert drafter.run_once() == "done"
    assert drafter.run_once() is None, "one job, done once"
    case = pipeline.store.case(case_id)
    assert case is not None
    assert case.reply_job == "done"
    assert case.reply_draft is not None
    assert case.reply_draft["text"] == text
    assert case.reply_draft["source"] == "llm"
    assert case.reply_draft["disposal_id"] == done.disposal_id
    (call,) = audit_payloads(case.model_dump(mode="json"), "llm.call")
    assert "<处置>" in call["messages"][-1]["content"]


def test_a_reply_that_invents_facts_leaves_the_template(pipeline: TriagePipeline) -> None:
    workflow, case_id, lead = dispatched(pipeline)
    workflow.loop.dispose(case_id, lead, "department:x", Disposal(reply=DONE, outcome="resolved"),
                          verification("pass"), queue_reply=True)
    invented = "您好！市政养护队已于12月9日在二七区大学路补装井盖8个，感谢您的支持！如有问题请拨打12345热线。"
    assert worker(pipeline, json.dumps({"text": invented}, ensure_ascii=False)).run_once() == "failed"
    case = pipeline.store.case(case_id)
    assert case is not None
    assert case.reply_job == "failed"
    assert case.reply_draft is None
    (failure,) = audit_payloads(case.model_dump(mode="json"), "reply.draft_failed")
    assert "invalid twice" in failure["reason"]
