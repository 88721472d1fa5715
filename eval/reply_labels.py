"""Hand labels of real message–reply pairs (`eval/datasets/reply_labels.jsonl`, protocol in
`eval/datasets/reply_labels.md`) and the reply checker's agreement with them
(`gridtriage eval reply-labels`).

The pairs are drawn from the held-out `test` part of the 2020 Teddy Cup message–reply pairs: every
test message with a text and a reply, ordered by SHA-1 of "reply-labels:" + its id, the first
`SAMPLE_SIZE`. The label file holds ids and labels only; the texts are read from the shared file.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from importlib.resources import files
from pathlib import Path
from typing import Any

from agent.models import Models
from classifiers.replies import ReplyChecker
from core.settings import Settings
from eval.reply_checks import SOURCE, split_of
from eval.shared_data import read_jsonl, shared_data_dir

SAMPLE_SIZE = 150
COMPLETE = ("yes", "partly", "no")


def label_file() -> Path:
    return Path(str(files("eval").joinpath("datasets", "reply_labels.jsonl")))


def _pairs() -> dict[str, dict[str, Any]]:
    root = shared_data_dir()
    if root is None or not (root / SOURCE).is_file():
        raise ValueError(f"the hand-labelled pairs need ../shared/data/{SOURCE} (or GRIDTRIAGE_SHARED_DATA)")
    return {str(r["id"]): r for r in read_jsonl(root / SOURCE)
            if (r.get("reply") or "").strip() and (r.get("text") or "").strip()}


def label_sample(size: int = SAMPLE_SIZE) -> list[dict[str, Any]]:
    """The pairs to label, in labelling order (see the module docstring)."""
    test = [r for key, r in _pairs().items() if split_of(key) == "test"]
    return sorted(test, key=lambda r: hashlib.sha1(f"reply-labels:{r['id']}".encode()).hexdigest())[:size]


def read_labels(path: Path | None = None) -> list[dict[str, Any]]:
    rows = list(read_jsonl(path or label_file()))
    for row in rows:
        if not isinstance(row.get("relevant"), bool) or row.get("complete") not in COMPLETE:
            raise ValueError(f"label row {row.get('id')!r}: `relevant` is true/false and `complete` one of "
                             f"{', '.join(COMPLETE)}")
    return rows


def agreement(settings: Settings, models: Models | None = None, path: Path | None = None) -> dict[str, Any]:
    """The checker's relevance and completeness verdicts against the hand labels: accuracy and
    Cohen's kappa of "passes" (probability ≥ 0.5) against "relevant" and against "complete: yes"
    (partly counts as incomplete), and the three-way verdicts (pass / needs_person / fail) per label."""
    labels = read_labels(path)
    pairs = _pairs()
    missing = [row["id"] for row in labels if str(row["id"]) not in pairs]
    if missing:
        raise ValueError(f"labelled ids not in {SOURCE}: {', '.join(map(str, missing[:5]))}")
    models = models or Models.load(settings)
    checker = ReplyChecker(models.embedder, models.tokenizer, settings.verification)
    items = [(pairs[str(r["id"])]["text"], pairs[str(r["id"])]["reply"], pairs[str(r["id"])].get("title") or None)
             for r in labels]
    checks = [checker.score(f) for f in checker.features_many(items)]
    s = settings.verification

    def verdict(p: float) -> str:
        return "pass" if p >= s.pass_at else "fail" if p < s.fail_below else "needs_person"

    figures: dict[str, Any] = {"pairs": len(labels), "labels": str(path or label_file()),
                               "relevant": dict(Counter(str(r["relevant"]).lower() for r in labels)),
                               "complete": dict(Counter(r["complete"] for r in labels))}
    for name, truth, score in (
            ("relevance", [bool(r["relevant"]) for r in labels], [c.relevance for c in checks]),
            ("completeness", [r["complete"] == "yes" for r in labels], [c.completeness for c in checks])):
        figures[name] = _agree(truth, [p >= 0.5 for p in score])
        label_of = (lambda r: str(r["relevant"]).lower()) if name == "relevance" else (lambda r: r["complete"])
        table: dict[str, Counter[str]] = {}
        for row, p in zip(labels, score, strict=True):
            table.setdefault(label_of(row), Counter())[verdict(p)] += 1
        figures[name]["verdicts_by_label"] = {k: dict(v) for k, v in sorted(table.items())}
    figures["disagreements"] = [
        {"id": r["id"], "complete": r["complete"], "completeness": round(c.completeness, 3), "note": r.get("note", "")}
        for r, c in zip(labels, checks, strict=True) if (r["complete"] == "yes") != (c.completeness >= 0.5)]
    return figures


def _agree(truth: list[bool], predicted: list[bool]) -> dict[str, Any]:
    n = len(truth)
    observed = sum(t == p for t, p in zip(truth, predicted, strict=True)) / n
    yes_t, yes_p = sum(truth) / n, sum(predicted) / n
    expected = yes_t * yes_p + (1 - yes_t) * (1 - yes_p)
    kappa = (observed - expected) / (1 - expected) if expected < 1 else float("nan")
    return {"accuracy": round(observed, 4), "kappa": round(kappa, 4),
            "labelled_yes": sum(truth), "checker_yes": sum(predicted)}


def write_labels(rows: list[dict[str, Any]], path: Path) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
