"""A triaged report, its case and its audit events are stored in one transaction: a failure while
storing leaves none of them, and the dedup index learns of a case only once it is stored."""

from __future__ import annotations

from typing import Any

import pytest

import agent.store.store as store_module
from agent.pipeline import TriagePipeline
from core.types import ReportIn

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

REPORT = "文化路和东风路交叉口往北一点，人行道上的井盖没了，很危险"
REPEAT = "东风路与文化路路口那里有个下水道井盖丢了，晚上看不见容易掉下去"


def _fail(*_args: Any, **_kwargs: Any) -> int:
    raise RuntimeError("disk full")


def _counts(pipeline: TriagePipeline) -> dict[str, int]:
    return {table: pipeline.store.count(table) for table in ("reports", "cases", "audit_log", "photos")}


def _triage_failing_in(pipeline: TriagePipeline, monkeypatch: pytest.MonkeyPatch, step: str, text: str) -> None:
    """Triage a report while the store's `step` fails: nothing of it may be stored."""
    before = _counts(pipeline)
    with monkeypatch.context() as patch:
        patch.setattr(store_module, step, _fail)
        with pytest.raises(RuntimeError, match="disk full"):
            pipeline.triage(ReportIn(text=text))
    assert _counts(pipeline) == before


def test_a_failure_opening_the_case_stores_no_report_and_no_event(
        pipeline: TriagePipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    _triage_failing_in(pipeline, monkeypatch, "_new_case", REPORT)
    # The case was never stored, so the next report opens its own case instead of merging into it.
    first = pipeline.triage(ReportIn(text=REPORT))
    assert first.duplicate_of is None
    assert _counts(pipeline) == {"reports": 1, "cases": 1, "audit_log": 6, "photos": 0}


def test_a_failure_merging_stores_no_report_and_leaves_the_case_as_it_was(
        pipeline: TriagePipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    first = pipeline.triage(ReportIn(text=REPORT))
    _triage_failing_in(pipeline, monkeypatch, "_merge", REPEAT)
    case = pipeline.store.case(first.case_id)
    assert case is not None
    assert case.reporter_count == 1
    assert len(case.reports) == 1
    second = pipeline.triage(ReportIn(text=REPEAT))
    assert second.duplicate_of == first.case_id
    assert second.reporter_count == 2


def test_one_report_is_stored_with_every_event_in_order(pipeline: TriagePipeline) -> None:
    result = pipeline.triage(ReportIn(text=REPORT))
    case = pipeline.store.case(result.case_id)
    assert case is not None
    assert [a.event for a in case.audit] == [
        "report.received", "report.understood", "report.dedup", "report.routed", "report.drafted",
        "case.created"]
    assert {a.report_id for a in case.audit} == {result.report_id}
