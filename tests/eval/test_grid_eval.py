"""`gridtriage eval grids` and `gridtriage bench grids`, on small sizes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.settings import GridSettings, Settings
from eval.grid_bench import bench_grids, generated_layer
from eval.grid_eval import BUNDLED, evaluate_grids
from tests.support.cli import run


def _small_gold(tmp_path: Path) -> Path:
    """The first few rows of each kind of the bundled gold set."""
    rows = [json.loads(line) for line in BUNDLED.read_text(encoding="utf-8").splitlines()]
    kept = [r for kind in ("inside", "border", "near", "outside", "street") for r in
            [r for r in rows if r["kind"] == kind][:6]]
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")
    return path


@pytest.mark.unit
def test_the_locator_is_right_on_the_gold_points(tmp_path: Path) -> None:
    figures = evaluate_grids(Settings(), _small_gold(tmp_path))
    assert figures["points"] == 6 + 6 + 6 + 5
    assert figures["accuracy"] == 1.0, figures["wrong"]
    assert figures["streets_without_point"] == {"n": 6, "accuracy": 1.0}


@pytest.mark.unit
def test_the_evaluation_sees_a_locator_that_misses_borders(tmp_path: Path) -> None:
    blind = Settings(grids=GridSettings(border_metres=0))  # no borders at all
    figures = evaluate_grids(blind, _small_gold(tmp_path))
    assert figures["by_kind"]["near"]["accuracy"] == figures["by_kind"]["border"]["accuracy"] == 0.0
    assert figures["by_kind"]["inside"]["accuracy"] == 1.0
    assert {w["kind"] for w in figures["wrong"]} == {"border", "near"}


@pytest.mark.unit
def test_an_unknown_kind_or_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read the gold set"):
        evaluate_grids(Settings(), tmp_path / "none.jsonl")
    odd = tmp_path / "odd.jsonl"
    odd.write_text('{"id": "x", "kind": "somewhere"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown kind 'somewhere'"):
        evaluate_grids(Settings(), odd)


@pytest.mark.unit
def test_the_benchmark_layer_and_figures() -> None:
    layer = generated_layer(500)
    assert 450 <= len(layer) <= 550
    assert {g.level for g in layer.values()} == {"community", "grid", "micro",
                                                                               "exclusive"}
    figures = bench_grids(500, queries=200)
    assert figures["grids"] == len(layer)
    assert figures["queries"] == 200
    assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"]
    assert figures["in_a_grid"] > 0.9
    assert 0 < figures["on_a_border"] < 1


@pytest.mark.e2e
def test_the_commands_print_their_figures(tmp_path: Path) -> None:
    evaluated = run("eval", "grids", str(_small_gold(tmp_path)), "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["accuracy"] == 1.0
    benched = run("bench", "grids", "--grids", "300", "--queries", "50", "--json")
    assert benched.returncode == 0, benched.stderr
    assert json.loads(benched.stdout)["p95_ms"] > 0
    missing = run("eval", "grids", str(tmp_path / "none.jsonl"))
    assert missing.returncode != 0
    assert "cannot read the gold set" in missing.stderr
