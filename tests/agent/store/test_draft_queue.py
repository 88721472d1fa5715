"""The durable drafting queue on SQLite and PostgreSQL: jobs stored with their case, claimed urgent
first and once each (also by drafters claiming at the same time), taken again when a drafter died,
dropped when they waited too long, and a person's edit never overwritten by a late draft. The
drafter is the real LLM drafter over the `fake` provider (replies written here, no model)."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from agent.draft_worker import DraftWorker
from agent.drafting import make_drafter
from agent.models import Models
from agent.pipeline import TriagePipeline
from agent.store.draft_queue import DraftQueue
from core.settings import DrafterSettings, LLMSettings, Settings
from core.types import ReportIn
from tests.support.llm import audit_payloads

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

VALID = json.dumps({"title": "文化路东风路口井盖缺失", "summary": "文化路与东风路交叉口井盖丢失，夜间有人员坠落隐患。",
                    "request": "尽快补装井盖", "steps": ["设置围挡警示", "补装井盖"], "category": "C1", "lead": "D1",
                    "assist": [], "priority": "high", "rationale": "井盖属市政设施，由主办部门负责补装"},
                   ensure_ascii=False)
REPORTS = ["金水路和未来路交叉口的井盖没了，已经有人掉下去受伤了，快来人", "小区门口的路灯坏了一个星期了，晚上很黑",
           "建议在中原路增设一个公交站台，附近居民出行不方便", "楼下烧烤店油烟太大，每天熏到半夜，窗户都不敢开",
           "农业路上有个大坑，电动车差点摔倒", "商场噪音扰民，晚上十一点还在放音乐"]


@pytest.fixture
def pipeline(models: Models, database: str, tmp_path: Path) -> Any:
    pipeline = TriagePipeline(Settings(db=database, llm=LLMSettings(provider="none"),
                                       photos_dir=str(tmp_path / "photos")), models=models, queue_drafts=True)
    yield pipeline
    pipeline.store.close()


def worker(pipeline: TriagePipeline, *script: str, **limits: Any) -> DraftWorker:
    kb = pipeline.models.kb
    return DraftWorker(pipeline.store, make_drafter(LLMSettings(provider="fake", script=script), kb), kb,
                       DrafterSettings(**limits))


def case(pipeline: TriagePipeline, case_id: int) -> dict[str, Any]:
    found = pipeline.store.case(case_id)
    assert found is not None
    return found.model_dump()


def test_jobs_are_stored_with_their_case_and_claimed_urgent_first_each_once(pipeline: TriagePipeline) -> None:
    results = [pipeline.triage(ReportIn(text=text)) for text in REPORTS]
    assert all(r.draft_queued for r in results)
    assert pipeline.store.case(results[0].case_id) is not None
    queue = DraftQueue(pipeline.store, "test")
    assert queue.pending() == len(REPORTS)
    ranks = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
    expected = sorted(results, key=lambda r: (ranks[r.understanding.urgency.priority], r.case_id))
    assert len({r.understanding.urgency.priority for r in results}) >= 2, "more than one rank to order by"

    in_order = [queue.claim(f"one:{i}") for i in range(len(REPORTS))]
    assert [j.case_id for j in in_order if j] == [r.case_id for r in expected]
    for job in in_order:
        assert job is not None
        queue.release(job)

    def claim_all(name: str) -> list[int]:
        claimed: list[int] = []
        while (job := DraftQueue(pipeline.store, name).claim(f"{name}:{len(claimed)}")) is not None:
            claimed.append(job.case_id)
        return claimed

    with ThreadPoolExecutor(3) as pool:  # three drafters claiming at once
        claimed = [c for cs in pool.map(claim_all, ["a", "b", "c"]) for c in cs]
    assert sorted(claimed) == sorted(r.case_id for r in results), "every job claimed, and only once"
    assert queue.pending() == len(REPORTS), "claimed jobs are still pending until they are finished"
    assert queue.claim("late") is None


def test_a_drafted_job_replaces_the_template_draft_and_logs_every_call(pipeline: TriagePipeline) -> None:
    result = pipeline.triage(ReportIn(text=REPORTS[0]))
    duplicate = pipeline.triage(ReportIn(text=REPORTS[0]))
    assert duplicate.duplicate_of == result.case_id
    assert not duplicate.draft_queued, "a merged report queues nothing"
    before = case(pipeline, result.case_id)
    assert (before["draft_job"], before["draft"]["drafter"]) == ("queued", "template")
    landed = worker(pipeline, VALID).run(stop=_never(), drain=True)
    assert landed == {"replaced": 1}
    after = case(pipeline, result.case_id)
    assert after["draft_job"] == "done"
    assert after["draft"]["drafter"] == "fake:fake"
    assert after["title"] == "文化路东风路口井盖缺失"
    events = [a["event"] for a in after["audit"]]
    assert events.index("llm.call") < events.index("case.redrafted")
    (redrafted,) = audit_payloads(after, "case.redrafted")
    assert redrafted["before"]["drafter"] == "template"
    assert DraftQueue(pipeline.store, "test").pending() == 0


def test_a_person_s_edit_before_the_draft_lands_stands_and_the_draft_is_a_suggestion(
        pipeline: TriagePipeline) -> None:
    result = pipeline.triage(ReportIn(text=REPORTS[1]))
    pipeline.store.record_edits(result.case_id, {"title": "接线员改过的标题"}, "标题不准", "operator:1")
    assert worker(pipeline, VALID).run(stop=_never(), drain=True) == {"suggested": 1}
    after = case(pipeline, result.case_id)
    assert after["title"] == "接线员改过的标题"
    assert after["draft"]["drafter"] == "template"
    assert after["draft_job"] == "suggested"
    assert after["draft_suggestion"]["title"] == "文化路东风路口井盖缺失"
    (suggested,) = audit_payloads(after, "case.draft_suggested")
    assert suggested["drafter"] == "fake:fake"


def test_a_failed_draft_leaves_the_template_draft_and_says_why(pipeline: TriagePipeline) -> None:
    result = pipeline.triage(ReportIn(text=REPORTS[2]))
    assert worker(pipeline, "!timeout").run(stop=_never(), drain=True) == {"failed": 1}
    after = case(pipeline, result.case_id)
    assert (after["draft_job"], after["draft"]["drafter"]) == ("failed", "template")
    (fallback,) = audit_payloads(after, "draft.fallback")
    assert "TimeoutError" in fallback["reason"]


def test_a_job_whose_drafter_died_is_taken_again_after_its_lease_and_fails_after_max_attempts(
        pipeline: TriagePipeline) -> None:
    result = pipeline.triage(ReportIn(text=REPORTS[3]))
    limits = DrafterSettings(lease_s=0.3, max_attempts=2)
    first = DraftQueue(pipeline.store, "died", limits).claim("died:1")
    assert first is not None
    assert first.attempt == 1
    queue = DraftQueue(pipeline.store, "other", limits)
    assert queue.claim("other:1") is None, "a live claim is not taken"
    time.sleep(0.4)
    second = queue.claim("other:2")
    assert second is not None
    assert (second.case_id, second.attempt) == (result.case_id, 2)
    assert queue.finish(first, [], {"title": "迟到的草稿"}, []) == "lost", "an expired claim stores nothing"
    time.sleep(0.4)
    assert queue.claim("other:3") is None
    after = case(pipeline, result.case_id)
    assert after["draft_job"] == "failed"
    assert after["draft"]["drafter"] == "template"
    (failed,) = audit_payloads(after, "draft.failed")
    assert failed["attempts"] == 2


def test_a_released_job_goes_back_to_the_queue(pipeline: TriagePipeline) -> None:
    pipeline.triage(ReportIn(text=REPORTS[4]))
    queue = DraftQueue(pipeline.store, "stopping")
    job = queue.claim("stopping:1")
    assert job is not None
    queue.release(job)
    again = queue.claim("next:1")
    assert again is not None
    assert (again.case_id, again.attempt) == (job.case_id, 1)


def test_a_job_that_waited_too_long_is_dropped_and_the_template_draft_stands(pipeline: TriagePipeline) -> None:
    result = pipeline.triage(ReportIn(text=REPORTS[5]))
    time.sleep(0.3)
    assert worker(pipeline, VALID, max_wait_s=0.2).run(stop=_never(), drain=True) == {}
    after = case(pipeline, result.case_id)
    assert (after["draft_job"], after["draft"]["drafter"]) == ("dropped", "template")
    (dropped,) = audit_payloads(after, "draft.dropped")
    assert "0.2 s" in dropped["reason"]
    assert dropped["waited_s"] >= 0.2


def _never() -> threading.Event:
    return threading.Event()
