"""`gridtriage kb check` on the grid layer: what it reports about the bundled layer, and a broken one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.settings import DEFAULT_KB
from tests.support.cli import run

pytestmark = pytest.mark.e2e


def test_kb_check_reports_the_exclusive_grids_that_span_districts() -> None:
    ok = run("kb", "check", str(DEFAULT_KB))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("ok:")
    assert "专属网格「二七塔商圈专属网格」（x.erqi-tower）跨 3 个区县" in ok.stdout
    assert "覆盖 27 个街道" in ok.stdout


def test_kb_check_names_the_broken_grid(tmp_path: Path) -> None:
    broken = tmp_path / "kb"
    shutil.copytree(DEFAULT_KB, broken)
    layer = json.loads((broken / "grids.geojson").read_text(encoding="utf-8"))
    first = layer["features"][0]
    first["geometry"]["coordinates"][0].pop()
    layer["features"][1]["properties"]["parent"] = "no-such-grid"
    (broken / "grids.geojson").write_text(json.dumps(layer, ensure_ascii=False), encoding="utf-8")
    proc = run("kb", "check", str(broken))
    assert proc.returncode == 1
    assert f"grids.geojson: grids {first['properties']['id']}: polygon 1 ring 1 is not closed" in proc.stderr
    assert "unknown parent 'no-such-grid'" in proc.stderr
