from datetime import UTC, datetime, timedelta

import pytest

from agent.pipeline import TriagePipeline
from core.settings import Settings
from core.types import ReportIn

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _report(text: str, hours: float = 0) -> ReportIn:
    return ReportIn(text=text, reported_at=T0 + timedelta(hours=hours), received_at=T0 + timedelta(hours=hours))


def test_same_incident_reworded_at_the_same_place_merges(pipeline: TriagePipeline) -> None:
    first = pipeline.triage(_report("文化路和东风路交叉口往北一点，人行道上的井盖没了，很危险"))
    second = pipeline.triage(_report("东风路与文化路路口那里有个下水道井盖丢了，晚上看不见容易掉下去", 2))
    third = pipeline.triage(_report("你好，文化路东风路口井盖缺失，请尽快处理", 5))
    assert first.duplicate_of is None
    assert second.duplicate_of == first.case_id
    assert second.case_id == first.case_id
    assert third.duplicate_of == first.case_id
    assert third.reporter_count == 3
    evidence = next(c for c in third.dedup.candidates if c.case_id == first.case_id)
    assert evidence.verdict == "duplicate"
    assert evidence.place_match == 1.0
    assert evidence.similarity > 0


def test_same_category_at_another_street_does_not_merge(pipeline: TriagePipeline) -> None:
    first = pipeline.triage(_report("文化路和东风路交叉口人行道上的井盖没了，很危险"))
    other = pipeline.triage(_report("航海路和嵩山路交叉口人行道上的井盖没了，很危险", 1))
    assert other.duplicate_of is None
    assert other.case_id != first.case_id
    candidate = [c for c in other.dedup.candidates if c.case_id == first.case_id]
    assert not candidate or candidate[0].verdict != "duplicate"


def test_same_place_outside_the_time_window_does_not_merge(pipeline: TriagePipeline) -> None:
    first = pipeline.triage(_report("德化街步行街有人摆摊占道经营，堵住了路"))
    later = pipeline.triage(_report("德化街步行街又有人摆摊占道经营，堵住了路", 24 * 10))
    assert later.duplicate_of is None
    assert later.case_id != first.case_id


def test_different_problem_at_the_same_place_does_not_merge(pipeline: TriagePipeline) -> None:
    first = pipeline.triage(_report("二七塔附近的路灯晚上都不亮"))
    other = pipeline.triage(_report("二七塔附近有人摆摊占道经营", 1))
    assert other.duplicate_of is None
    assert other.case_id != first.case_id


def test_index_is_rebuilt_from_the_store_after_a_restart(settings: Settings, pipeline: TriagePipeline) -> None:
    first = pipeline.triage(_report("紫荆山公园南门口的公厕好几天没人打扫，又脏又臭"))
    restarted = TriagePipeline(settings, models=pipeline.models)
    restarted.warm_up()
    assert len(restarted.dedup.index) == 1
    again = restarted.triage(_report("紫荆山公园南门那个公共厕所特别脏特别臭，没人保洁", 3))
    assert again.duplicate_of == first.case_id
    assert again.reporter_count == 2
    restarted.store.close()


def test_a_request_is_not_merged_into_an_incident_at_the_same_spot(pipeline: TriagePipeline) -> None:
    incident = pipeline.triage(_report("花园路农业路口公交站有辆私家车一直停在站台上，公交车都进不了站"))
    request = pipeline.triage(_report("建议在花园路农业路口附近规划一些外卖骑手的停车位，现在电动车没地方停", 1))
    assert (incident.understanding.kind, request.understanding.kind) == ("incident", "request")
    assert request.duplicate_of is None
    assert request.case_id != incident.case_id
    evidence = [c for c in request.dedup.candidates if c.case_id == incident.case_id]
    assert not evidence or evidence[0].verdict != "duplicate"


def test_reports_without_a_place_merge_only_when_nearly_identical(pipeline: TriagePipeline) -> None:
    first = pipeline.triage(_report("楼下的路灯坏了好几天了，晚上黑漆漆的"))
    reworded = pipeline.triage(_report("我家这边路灯一直不亮，走夜路害怕", 1))
    assert reworded.duplicate_of is None, "no place: a reworded report is not taken for the same lamp"
    again = pipeline.triage(_report("楼下的路灯坏了好几天了，晚上黑漆漆的", 2))
    assert again.duplicate_of == first.case_id


@pytest.mark.parametrize("reworded", ["喂，我投诉渣土车，就是西四环郑上路那个口，半夜渣土车过，没盖篷布，土撒了一路",
                                      "在西四环 and 郑上路 crossing 这儿，muck truck 撒了一路泥土"])
def test_a_crossing_named_loosely_is_the_same_crossing(pipeline: TriagePipeline, reworded: str) -> None:
    first = pipeline.triage(_report("郑上路西四环口一早路面全是泥块子，夜里渣土车掉的"))
    again = pipeline.triage(_report(reworded, 3))
    assert again.understanding.place.crossing == first.understanding.place.crossing != ()
    assert again.duplicate_of == first.case_id
