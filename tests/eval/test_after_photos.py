"""The after-photo evaluation: generated before/after pairs read by the real photo reader (text
reading off, for speed) separate the same place from another place and from a photo taken before
the report, with and without GPS; and `gridtriage eval after-photos` runs from the command line."""

from __future__ import annotations

import json

import pytest

from core.settings import PhotoSettings
from eval.after_photos import evaluate_after_photos
from tests.support.cli import run


@pytest.mark.integration
def test_generated_after_photos_separate_the_same_place_from_another_and_from_before_the_report() -> None:
    result = evaluate_after_photos(cases=2, photo_settings=PhotoSettings(ocr=False))
    outcomes = result["outcomes"]
    for gps in ("with GPS", "no GPS"):
        assert outcomes[f"same place, {gps}"] == {"pass": 2, "person": 0, "fail": 0}, outcomes
        assert outcomes[f"other place, {gps}"]["fail"] == 2, outcomes
        assert outcomes[f"before report, {gps}"]["fail"] == 2, outcomes
    assert result["accuracy"] == 1.0
    assert "verify.photo_other_scene" in result["reasons"]


@pytest.mark.e2e
def test_eval_after_photos_runs_from_the_command_line() -> None:
    done = run("eval", "after-photos", "--cases", "1", "--no-ocr", "--json")
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["photos"] == 6
    assert set(figures["outcomes"]) == {f"{kind}, {gps}" for kind in ("same place", "other place", "before report")
                                        for gps in ("with GPS", "no GPS")}
    table = run("eval", "after-photos", "--cases", "0")
    assert table.returncode != 0
    assert "cases must be 1 or more" in table.stderr
