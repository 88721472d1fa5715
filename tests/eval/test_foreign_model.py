"""A model trained on one file with another label set than the knowledge base's categories, scored on
another file (`eval --model --label-field`) and used to label a file (`batch --model`), through the CLI."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from eval.shared_data import shared_data_dir
from tests.support.cli import run

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # each command loads the sentence embedder

TEDDY = "teddy2020/messages_labelled_sample.jsonl"
TOPICS = {
    "roads": ["马路上有个大坑", "路面坑坑洼洼的", "这条路破得不能走", "路上的坑把车颠坏了", "人行道砖都翘起来了",
              "道路破损严重", "路面塌陷了一块", "这段路全是坑"],
    "noise": ["晚上太吵了睡不着", "楼上天天噪音", "KTV声音太大", "装修电钻声音吵死了", "广场舞音响扰民",
              "半夜施工噪音", "酒吧音乐吵到半夜", "楼下商铺喇叭太吵"],
    "money": ["工资被拖欠了三个月", "老板不发工资", "欠薪讨不回来", "工钱一直拖着不给", "干了活拿不到钱",
              "包工头跑了没发工资", "公司拖欠我们半年工资", "年底了工资还没结"],
}


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def in_training_split(report_id: str) -> bool:
    """The split rule: a report trains when the SHA-1 of its id, as a number, is below 7 modulo 10."""
    return int(hashlib.sha1(report_id.encode("utf-8")).hexdigest(), 16) % 10 < 7


def test_a_model_of_another_label_set_is_scored_on_another_file_and_labels_a_batch(tmp_path: Path) -> None:
    rows = [{"id": f"{t}{i}", "text": text, "topic": t} for t, texts in TOPICS.items() for i, text in enumerate(texts)]
    train = _write(tmp_path / "train.jsonl", [r for r in rows if int(str(r["id"])[-1]) < 6])
    score = _write(tmp_path / "score.jsonl", [r for r in rows if int(str(r["id"])[-1]) >= 6])
    model = tmp_path / "model"
    trained = run("train", str(train), "--out", str(model), "--label-field", "topic")
    assert trained.returncode == 0, trained.stderr

    proc = run("eval", str(score), "--model", str(model), "--label-field", "topic", "--baseline", "tfidf-svm",
               "--json")
    assert proc.returncode == 0, proc.stderr
    figures = json.loads(proc.stdout)
    c = figures["classification"]
    assert c["n"] == 6
    assert set(c["per_class"]) >= {"roads", "noise", "money"}
    assert c["accuracy"] >= 0.5, c
    assert "routing" not in figures
    assert "not this knowledge base's categories" in figures["skipped"]["routing"]
    assert set(figures["skipped"]) == {"routing", "urgency", "dedup", "speed", "confidence"}
    assert figures["baselines"]["tfidf-svm"]["trained_on"] == str(train.resolve())
    assert figures["model"]["trained_on"] == "train"

    printed = run("eval", str(score), "--model", str(model), "--label-field", "topic", "--tasks",
                  "classification,routing")
    assert printed.returncode == 0, printed.stderr
    assert "macro-F1" in printed.stdout
    assert "routing: skipped" in printed.stdout

    out = tmp_path / "labelled.jsonl"
    batch_in = _write(tmp_path / "in.jsonl", [{"id": "x1", "text": "小区门口的路坑坑洼洼"}, {"id": "x2", "text": " "},
                                              {"id": "x3", "title": "欠薪", "text": "老板拖欠工资不给"}])
    labelled = run("batch", str(batch_in), str(out), "--model", str(model), "--db", str(tmp_path / "c.db"))
    assert labelled.returncode == 0, labelled.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["x1", "x2", "x3"]
    assert lines[0]["label"] in TOPICS
    assert 0 < lines[0]["probability"] <= 1
    assert "error" in lines[1]
    assert lines[2]["label"] == "money"
    assert not any("department" in line or "case_id" in line for line in lines)

    refused = run("triage", "路上有坑", "--model", str(model), "--db", str(tmp_path / "t.db"))
    assert refused.returncode == 2
    assert "".join(f"gridtriage eval 文件 --model {model}".split()) in "".join(refused.stderr.split())


def test_teddy_train_on_seventy_percent_score_on_the_rest(tmp_path: Path) -> None:
    data = shared_data_dir()
    if data is None or not (data / TEDDY).is_file():
        pytest.skip(f"{TEDDY} is not in the shared data folder (../shared/data or GRIDTRIAGE_SHARED_DATA)")
    lines = (data / TEDDY).read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    train = _write(tmp_path / "teddy_train.jsonl", [r for r in rows if in_training_split(str(r["id"]))])
    score = _write(tmp_path / "teddy_score.jsonl", [r for r in rows if not in_training_split(str(r["id"]))])
    model = tmp_path / "model"
    trained = run("train", str(train), "--out", str(model), "--label-field", "label")
    assert trained.returncode == 0, trained.stderr
    proc = run("eval", str(score), "--model", str(model), "--label-field", "label", "--baseline", "tfidf-svm",
               "--json")
    assert proc.returncode == 0, proc.stderr
    figures = json.loads(proc.stdout)
    assert figures["classification"]["n"] == len(rows) - len(train.read_text(encoding="utf-8").splitlines())
    assert figures["classification"]["accuracy"] > 0.6, figures["classification"]
    assert figures["baselines"]["tfidf-svm"]["accuracy"] > 0.4
    assert "routing" in figures["skipped"]
