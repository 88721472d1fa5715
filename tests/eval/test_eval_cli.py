"""`gridtriage eval`, `eval compare` and `train` as evaluators run them: subprocesses, real models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import run

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # every test evaluates or trains on whole datasets

SMALL = [
    {"id": "a1", "text": "文化路和东风路交叉口的井盖没了，晚上很危险", "category": "municipal.manhole-cover",
     "department": "city-management", "assist": ["street-office"], "urgent": True, "cluster": "k1",
     "time": "2026-11-20T08:00:00+08:00"},
    {"id": "a2", "text": "东风路文化路路口井盖丢了，快来处理", "category": "municipal.manhole-cover",
     "department": "city-management", "assist": ["street-office"], "urgent": True, "cluster": "k1",
     "time": "2026-11-20T09:00:00+08:00"},
    {"id": "a3", "text": "我们小区停水一整天了，也没有通知", "category": "water.water-outage",
     "department": "water-supply", "urgent": False},
    {"id": "a4", "text": "楼下广场舞每天晚上音响开得太大声了", "category": "noise.social-life-noise",
     "department": "public-security", "urgent": False},
    {"id": "a5", "text": "健身房老板跑路了，办的年卡退不了钱", "category": "market.prepaid-card",
     "department": "market-regulation", "urgent": False},
    {"id": "a6", "text": "已经供暖了家里暖气还是冰凉的", "category": "energy.heating", "department": "heating",
     "urgent": False},
    {"id": "a7", "text": "   ", "expect_error": True},
]


def _write(path: Path, rows: list[dict]) -> Path:  # type: ignore[type-arg]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_eval_measures_every_task_and_writes_reports(tmp_path: Path) -> None:
    data = _write(tmp_path / "small.jsonl", SMALL)
    out = tmp_path / "report"
    proc = run("eval", str(data), "--baseline", "tfidf-svm", "--baseline", "keywords", "--report", str(out),
               "--json")
    assert proc.returncode == 0, proc.stderr
    figures = json.loads(proc.stdout)
    for key in ("classification", "routing", "urgency", "dedup", "speed", "confidence", "baselines"):
        assert key in figures, key
    assert figures["rejection"] == {"expected": 1, "rejected": 1, "wrongly_rejected": 0}
    assert 0 <= figures["classification"]["accuracy"] <= 1
    assert figures["urgency"]["positives"] == 2
    assert figures["dedup"]["pairwise"]["gold_pairs"] == 1
    assert set(figures["baselines"]) == {"tfidf-svm", "keywords"}
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert f"| category accuracy | {figures['classification']['accuracy']:.3f} |" in markdown
    assert figures["dataset"]["digest"] in markdown
    assert "| tfidf-svm |" in markdown
    for plot in ("confusion.png", "dedup_curve.png", "calibration.png", "latency.png"):
        assert (out / plot).stat().st_size > 1000, plot
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 4
    assert json.loads((out / "figures.json").read_text(encoding="utf-8"))["dataset"]["reports"] == 7

    again = tmp_path / "again"
    assert run("eval", str(data), "--report", str(again), "--tasks", "classification,urgency").returncode == 0
    compared = run("eval", "compare", str(out), str(again))
    assert compared.returncode == 0, compared.stderr
    assert "classification.accuracy" in compared.stdout
    assert "0.0000" in compared.stdout


def test_train_on_a_label_set_the_taxonomy_has_never_seen(tmp_path: Path) -> None:
    topics = {
        "roads": ["马路上有个大坑", "路面坑坑洼洼的", "这条路破得不能走", "路上的坑把车颠坏了", "人行道砖都翘起来了",
                  "道路破损严重"],
        "noise": ["晚上太吵了睡不着", "楼上天天噪音", "KTV声音太大", "装修电钻声音吵死了", "广场舞音响扰民",
                  "半夜施工噪音"],
        "money": ["工资被拖欠了三个月", "老板不发工资", "欠薪讨不回来", "工钱一直拖着不给", "干了活拿不到钱",
                  "包工头跑了没发工资"],
    }
    rows = [{"id": f"{t}{i}", "text": text, "topic": t} for t, texts in topics.items() for i, text in enumerate(texts)]
    data = _write(tmp_path / "topics.jsonl", rows)
    model = tmp_path / "model"
    proc = run("train", str(data), "--out", str(model), "--label-field", "topic", "--cv", "3")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["classes"] == 3
    assert info["knowledge_base_examples"] == 0
    assert 0 <= info["cross_validation"]["gridtriage"]["macro_f1_mean"] <= 1
    assert sorted(json.loads((model / "model.json").read_text(encoding="utf-8"))["labels"]) == ["money", "noise",
                                                                                               "roads"]
    cv = run("eval", str(data), "--label-field", "topic", "--cv", "3", "--json")
    assert cv.returncode == 0, cv.stderr
    assert set(json.loads(cv.stdout)["cross_validation"]) >= {"gridtriage", "tfidf-svm"}
    refused = run("triage", "路上有坑", "--model", str(model), "--db", str(tmp_path / "c.db"))
    assert refused.returncode == 2
    assert "不属于本知识库分类" in refused.stderr
    assert "gridtriage eval" in refused.stderr, "the refusal names the command that scores such a model"
    plain = run("eval", str(data), "--label-field", "topic")
    assert plain.returncode == 2
    assert "--cv" in plain.stderr


def test_a_model_trained_on_taxonomy_labels_is_used_by_triage(tmp_path: Path) -> None:
    rows = [r for r in SMALL if r.get("category")] * 2
    data = _write(tmp_path / "extra.jsonl", [{**r, "id": f"{r['id']}-{i}"} for i, r in enumerate(rows)])
    model = tmp_path / "model"
    assert run("train", str(data), "--out", str(model)).returncode == 0
    info = json.loads((model / "model.json").read_text(encoding="utf-8"))
    assert info["knowledge_base_examples"] > 800, "the knowledge base's examples stay in the training set"
    proc = run("triage", "我们小区又停水了", "--model", str(model), "--json", "--db", str(tmp_path / "c.db"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["category"]["id"] == "water.water-outage"


def test_train_from_the_supervisors_decisions_in_a_case_database(tmp_path: Path) -> None:
    from agent.store import CaseStore

    db = str(tmp_path / "cases.db")
    texts = ["我们小区停水一整天了", "楼下广场舞太吵了", "健身房老板跑路了退不了卡"]
    ids = [json.loads(run("triage", t, "--json", "--db", db).stdout)["case_id"] for t in texts]
    store = CaseStore.open(db)
    store.record_feedback(ids[1], "category_id", "noise.commercial-noise", "是商铺音响", "supervisor-1")
    store.close()
    model = tmp_path / "model"
    proc = run("train", "--from-db", db, "--out", str(model))
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["dataset"] == "feedback:cases.db"
    assert info["dataset_rows"] == 1
    assert "noise.commercial-noise" in json.loads((model / "model.json").read_text(encoding="utf-8"))["labels"]
    empty = run("train", "--from-db", str(tmp_path / "empty.db"), "--out", str(tmp_path / "m2"))
    assert empty.returncode == 2
    assert "no supervisor decisions" in empty.stderr
    neither = run("train", "--out", str(tmp_path / "m3"))
    assert neither.returncode == 2
    assert "--from-db" in neither.stderr
