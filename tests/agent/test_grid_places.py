"""A report's grid through the real pipeline on the bundled knowledge base: in the triage output
(`--json`'s shape), and in the stored case the API and the pages read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agent.output import public_case
from agent.pipeline import TriagePipeline
from core.types import ReportIn
from eval.grid_eval import BUNDLED

pytestmark = pytest.mark.integration

MEMBER_KEYS = {"role", "name", "duty_hours", "contact"}


def _grid_shape(grid: dict[str, Any]) -> None:
    assert set(grid) == {"id", "name", "level", "members"}
    assert grid["members"]
    assert all(set(m) == MEMBER_KEYS for m in grid["members"])


def test_a_landmark_report_gets_its_grid_in_the_output_and_the_stored_case(pipeline: TriagePipeline) -> None:
    result = pipeline.triage(ReportIn(text="二七纪念塔旁边的垃圾桶满了，好几天没人清理"))
    place = public_case(result)["place"]
    assert place["grid"]["id"].startswith("x.erqi-tower.")
    assert place["grid"]["level"] == "exclusive"
    _grid_shape(place["grid"])
    assert place["grid_candidates"] == []
    assert place["grid_border"] is False
    stored = pipeline.store.case(result.case_id)
    assert stored is not None
    assert stored.place["grid"] == place["grid"]
    assert stored.place["grid"]["members"][0]["contact"].startswith("0371-0000-")
    understood = [a.payload for a in stored.audit if a.event == "report.understood"]
    assert understood[0]["place"]["grid"]["id"] == place["grid"]["id"]
    assert "0371-0000-" not in json.dumps(understood, ensure_ascii=False)  # every reader sees the audit trail


def test_a_pin_on_a_border_lists_both_grids(pipeline: TriagePipeline) -> None:
    row = next(json.loads(line) for line in BUNDLED.read_text(encoding="utf-8").splitlines()
               if json.loads(line)["kind"] == "near")
    result = pipeline.triage(ReportIn(text="这里路面塌了一个坑", lat=row["lat"], lon=row["lon"]))
    place = public_case(result)["place"]
    assert place["grid_border"] is True
    assert place["grid"]["id"] == row["grid"]
    assert {g["id"] for g in place["grid_candidates"]} >= set(row["grids"])
    for grid in place["grid_candidates"]:
        _grid_shape(grid)


def test_a_report_placed_on_a_street_only_names_the_street_grids(pipeline: TriagePipeline) -> None:
    result = pipeline.triage(ReportIn(text="杜岭街道有个井盖松动了，踩上去晃"))
    place = public_case(result)["place"]
    assert place["street"] == "杜岭街道"
    assert place["grid"] is None
    assert place["grid_border"] is False
    assert place["grid_candidates"]
    assert all(g["id"].startswith("jinshui.duling.c") for g in place["grid_candidates"])
