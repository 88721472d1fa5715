"""How the benchmarks print their figures: one figure per line, runs side by side, narrow enough
for an 80-column terminal; or JSON."""

from __future__ import annotations

import json

import pytest

from cli.common import print_figures

pytestmark = pytest.mark.unit

FIGURES = {"reports": 1000, "p50_ms": 17.9, "p95_ms": 32.4, "stages_p50_ms": {"understand": 10.9, "dedup": 0.7},
           "source": "teddy"}


def test_figures_print_one_per_line_and_fit_80_columns(capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    print_figures("triage benchmark", [FIGURES, {**FIGURES, "p50_ms": 20.1}], as_json=False)
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert any("stages_p50_ms.understand" in line and "10.9" in line for line in out.splitlines())
    assert any("p50_ms" in line and "17.9" in line and "20.1" in line for line in out.splitlines())


def test_figures_as_json_keep_their_nesting(capsys: pytest.CaptureFixture[str]) -> None:
    print_figures("triage benchmark", [FIGURES], as_json=True)
    assert json.loads(capsys.readouterr().out) == FIGURES
