"""`gridtriage eval FILE --model DIR --label-field F` for a model trained on another label set than
the knowledge base's categories: classification of FILE's labels, scored like the cross-validation,
with the TF-IDF + SVM baseline trained on the model's own training file. Tasks that run the triage
pipeline need the knowledge base's categories and are reported as skipped, with the reason."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent.models import Models
from classifiers.labels import LabelModel
from core.messages import lookup
from eval import metrics
from eval.baselines import BASELINES, TfidfSvm
from eval.datasets import Dataset, read_dataset
from eval.training import labelled_texts


def score_foreign_model(dataset: Dataset, models: Models, labeller: LabelModel, tasks: Sequence[str],
                        baselines: Sequence[str] = ()) -> dict[str, Any]:
    labeller.warm_up()
    assert labeller.model is not None
    info = labeller.model.info
    texts, gold = labelled_texts(dataset, models)
    predicted = labeller.predict(texts)
    known = set(labeller.model.labels)
    shown = "、".join(labeller.model.labels[:5])
    out: dict[str, Any] = {
        "dataset": {"name": dataset.name, "digest": dataset.digest, "reports": len(dataset.reports)},
        "model": {"dir": str(labeller.model_dir), "labels": labeller.model.labels,
                  "trained_on": info.get("dataset"), "trained_on_digest": info.get("dataset_digest"),
                  "label_field": info.get("label_field"), "foreign_labels": True},
        "skipped": {},
    }
    if "classification" in tasks:
        report = metrics.classification_report(gold, [p.label for p in predicted])
        report["top3_accuracy"] = metrics.top_k_accuracy(gold, [[label for label, _ in p.ranked] for p in predicted],
                                                         3)
        report["gold_labels_unknown_to_model"] = sorted(set(gold) - known)
        out["classification"] = report
    for task in tasks:
        if task != "classification":
            out["skipped"][task] = lookup("eval.skipped_needs_taxonomy", lang="en", labels=shown,
                                          task=task)
    if baselines:
        out["baselines"] = _baselines(baselines, texts, gold, models, info, out["skipped"])
    return out


def _baselines(names: Sequence[str], texts: list[str], gold: list[str], models: Models, info: dict[str, Any],
               skipped: dict[str, str]) -> dict[str, Any]:
    """The baselines learn from the file the model learned from, found by its recorded path and
    checked by its SHA-256."""
    out: dict[str, Any] = {}
    for name in names:
        if name not in BASELINES:
            raise ValueError(f"unknown baseline {name!r}; choose from {', '.join(BASELINES)}")
        if name != "tfidf-svm":
            skipped[f"baseline {name}"] = lookup("eval.skipped_needs_taxonomy", lang="en",
                                                 labels="、".join(sorted(set(gold))[:5]), task=f"the {name} baseline")
            continue
        path = Path(str(info.get("dataset_path") or ""))
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != info.get("dataset_digest"):
            skipped[f"baseline {name}"] = lookup("eval.skipped_no_training_file", lang="en",
                                                 path=str(info.get("dataset_path")))
            continue
        train_texts, train_labels = labelled_texts(read_dataset(path, info.get("label_field")), models)
        ranked = TfidfSvm(models.tokenizer).fit(train_texts, train_labels).rank(texts)
        report = metrics.classification_report(gold, [r[0] for r in ranked])
        out[name] = {"accuracy": report["accuracy"], "macro_f1": report["macro_f1"],
                     "top3_accuracy": metrics.top_k_accuracy(gold, ranked, 3), "per_class": report["per_class"],
                     "trained_on": str(path), "training_rows": len(train_texts)}
    return out
