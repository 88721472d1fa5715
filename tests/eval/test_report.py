"""The evaluation report an outsider reads: figures built from real rows of zhengzhou_test and the
bundled knowledge base, written by `write_report`, and `gridtriage eval compare` on two runs."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings
from eval import metrics
from eval.report import compare, compare_records, write_report
from eval.report_plots import confusion_figure, first_level, latency_axis, latency_figure
from knowledge.loader import load_kb

pytestmark = pytest.mark.unit
TEST_SET = Path(__file__).resolve().parents[2] / "eval" / "datasets" / "zhengzhou_test.jsonl"
OUTLIER_MS = 5000.0


def _figures() -> dict[str, Any]:
    rows = [json.loads(line) for line in TEST_SET.read_text(encoding="utf-8").splitlines()[:40]]
    rows = [r for r in rows if r.get("category")][:24]
    gold = [r["category"] for r in rows]
    predicted = [g if i % 4 else gold[(i + 7) % len(gold)] for i, g in enumerate(gold)]
    classification = metrics.classification_report(gold, predicted)
    classification["top3_accuracy"] = classification["accuracy"]
    classification["parent_accuracy"] = classification["accuracy"]
    classification["worst_errors"] = [{"id": r["id"], "text": r["text"], "gold": g, "predicted": p, "confidence": 0.9}
                                      for r, g, p in zip(rows, gold, predicted, strict=True) if g != p]
    latencies = [20.0 + (i % 7) for i in range(len(rows) * 5)] + [OUTLIER_MS]
    configuration = Settings().model_dump(mode="json")
    configuration["stopwords"] = [f"停用词{i}" for i in range(300)]  # long values, as real settings have
    configuration["note"] = "郑州市城运中心 12345 热线评测配置说明，" * 30
    return {"dataset": {"name": "zhengzhou_test (first rows)", "digest": "0" * 64, "reports": len(rows)},
            "classification": classification,
            "speed": {**metrics.latency(latencies), "latencies_ms": latencies, "throughput_per_s": 40.0},
            "configuration": configuration}


def test_the_page_wraps_the_configuration_and_loads_nothing_from_outside(tmp_path: Path) -> None:
    _, page_path = write_report(_figures(), tmp_path)
    page = page_path.read_text(encoding="utf-8")
    blocks = re.findall(r"<pre>(.*?)</pre>", page, flags=re.S)
    assert blocks, "the configuration is in a <pre> block"
    assert max(len(line) for block in blocks for line in block.splitlines()) <= 120
    assert "white-space:pre-wrap" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, flags=re.I)
    assert "evaluation issue" not in page


def test_the_confusion_matrix_has_counts_and_the_knowledge_bases_names(tmp_path: Path) -> None:
    figures = _figures()
    kb = load_kb(figures["configuration"]["kb_dir"])
    markdown = write_report(figures, tmp_path)[0].read_text(encoding="utf-8")
    parents, grid = first_level(figures["classification"]["labels"], figures["classification"]["matrix"])
    names = [kb.categories[p].name for p in parents]
    header = next(line for line in markdown.splitlines() if line.startswith("| 标注（行）"))
    assert all(name in header for name in names)
    for name, row in zip(names, grid, strict=True):
        assert f"| {name} | " + " | ".join(map(str, row)) + " |" in markdown
    assert sum(map(sum, grid)) == figures["dataset"]["reports"]
    fig = confusion_figure(parents, grid, dict(zip(parents, names, strict=True)))
    cells = {t.get_text() for t in fig.axes[0].texts}
    assert cells == {str(n) for row in grid for n in row if n}


def test_the_latency_axis_ends_near_p99_and_notes_the_outlier(tmp_path: Path) -> None:
    figures = _figures()
    latencies = figures["speed"]["latencies_ms"]
    p99, above = latency_axis(latencies)
    assert above == 1
    fig = latency_figure(latencies, figures["speed"]["p50_ms"], figures["speed"]["p95_ms"])
    assert fig.axes[0].get_xlim()[1] <= p99 * 1.05 < OUTLIER_MS
    markdown = write_report(figures, tmp_path)[0].read_text(encoding="utf-8")
    assert "超过 p99 的诉求有 1 条" in markdown


def test_targets_and_worst_errors_are_in_words_with_their_texts(tmp_path: Path) -> None:
    figures = _figures()
    kb = load_kb(figures["configuration"]["kb_dir"])
    markdown = write_report(figures, tmp_path)[0].read_text(encoding="utf-8")
    assert "| 诉求分类（小类）准确率 | 90% |" in markdown
    assert "| classification.accuracy |" not in markdown
    worst = figures["classification"]["worst_errors"][0]
    line = next(line for line in markdown.splitlines() if worst["text"][:30] in line)
    assert kb.leaves[worst["gold"]].name in line
    assert kb.leaves[worst["predicted"]].name in line


def test_compare_signs_the_differences_and_colours_them_by_what_is_better(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from cli.evaluate import _compare

    a = _figures()
    b = copy.deepcopy(a)
    b["classification"]["accuracy"] = a["classification"]["accuracy"] + 0.125
    b["speed"]["p50_ms"] = a["speed"]["p50_ms"] + 10.0
    records = {r["figure"]: r for r in compare_records(compare(a, b))}
    assert records["classification.accuracy"]["signed"] == "+0.1250"
    assert records["classification.accuracy"]["verdict"] == "better"
    assert records["speed.p50_ms"]["signed"] == "+10.0000"
    assert records["speed.p50_ms"]["verdict"] == "worse", "a slower run is worse though its number is higher"
    reverse = {r["figure"]: r for r in compare_records(compare(b, a))}
    assert reverse["classification.accuracy"]["signed"] == "-0.1250"
    assert reverse["speed.p50_ms"]["verdict"] == "better"
    for name, figures in (("a.json", a), ("b.json", b)):
        (tmp_path / name).write_text(json.dumps(figures, ensure_ascii=False), encoding="utf-8")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    _compare([str(tmp_path / "a.json"), str(tmp_path / "b.json")])
    out = capsys.readouterr().out
    assert re.search(r"\x1b\[32m\+0\.1250", out), "better in green"
    assert re.search(r"\x1b\[31m\+10\.0000", out), "slower in red"
    _compare([str(tmp_path / "a.json"), str(tmp_path / "b.json")], as_json=True)
    rows = {r["figure"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["classification.accuracy"]["signed"] == "+0.1250"


def test_worst_errors_are_the_most_confident_wrong_classifications() -> None:
    from types import SimpleNamespace
    from typing import cast

    from eval.predictions import Prediction
    from eval.worst_errors import worst_errors

    def prediction(i: int, gold: str, predicted: str, confidence: float) -> Prediction:
        result = SimpleNamespace(understanding=SimpleNamespace(classification=SimpleNamespace(confidence=confidence)))
        report = SimpleNamespace(id=f"r{i}", text=f"诉求{i}", category=gold)
        return cast(Prediction, SimpleNamespace(report=report, result=result, category=predicted))

    rows = [prediction(0, "water.water-outage", "water.water-outage", 0.99),
            prediction(1, "water.water-outage", "energy.heating", 0.4),
            prediction(2, "energy.heating", "water.water-outage", 0.8)]
    worst = worst_errors(rows, limit=5)
    assert [w["id"] for w in worst] == ["r2", "r1"]
    assert worst[0] == {"id": "r2", "text": "诉求2", "gold": "energy.heating", "predicted": "water.water-outage",
                        "confidence": 0.8}


def test_a_foreign_label_set_is_shown_as_it_is(tmp_path: Path) -> None:
    gold = ["roads", "roads", "noise.night", "money"]
    classification = metrics.classification_report(gold, ["roads", "money", "noise.night", "money"])
    figures = {"dataset": {"name": "topics", "digest": "1" * 64, "reports": 4},
               "model": {"dir": "m", "labels": sorted(set(gold)), "foreign_labels": True},
               "classification": {**classification, "top3_accuracy": 1.0},
               "configuration": Settings().model_dump(mode="json")}
    markdown = write_report(figures, tmp_path)[0].read_text(encoding="utf-8")
    assert "| 标注（行）/ 预测（列） | money | noise.night | roads |" in markdown
    assert "| roads | 1 | 0 | 1 |" in markdown
