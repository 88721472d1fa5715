"""`gridtriage train`: fit GridTriage's classifier on any labelled JSONL, write a model directory, and
cross-validate it against the TF-IDF baseline on the same folds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold

from agent.models import Models
from classifiers.category import train_calibrated, training_set
from classifiers.supervised import SupervisedModel
from classifiers.text import normalize
from eval import metrics
from eval.baselines import TfidfSvm
from eval.datasets import Dataset


def labelled_texts(dataset: Dataset, models: Models) -> tuple[list[str], list[str]]:
    """Texts as the pipeline's classifier sees them (normalised, places and greetings removed)."""
    rows = [r for r in dataset.reports if r.category is not None and r.text.strip() and not r.expect_error]
    if not rows:
        raise ValueError(f"{dataset.name} has no labelled rows: is --label-field right?")
    texts = [models.places.content(normalize(f"{r.title or ''} {r.text}")) for r in rows]
    return texts, [str(r.category) for r in rows]


def uses_taxonomy(labels: list[str], models: Models) -> bool:
    return set(labels) <= set(models.kb.leaves)


def train_model(dataset: Dataset, models: Models, out: Path, label_field: str,
                source: Path | None = None) -> dict[str, Any]:
    """`source`: the file the dataset was read from, recorded so that `gridtriage eval --model` can
    train its baselines on the same rows (checked by the digest)."""
    texts, labels = labelled_texts(dataset, models)
    extra_texts: list[str] = []
    extra_labels: list[str] = []
    extra_held: list[bool] = []
    if uses_taxonomy(labels, models):  # the knowledge base's own examples stay in the training set
        extra_texts, extra_labels, extra_held = training_set(models.kb, models.places.content)
    held = [i % 4 == 3 for i in range(len(texts))] + extra_held  # calibrated on held-out rows, then refit
    model = train_calibrated(texts + extra_texts, labels + extra_labels, held, models.embedder, models.tokenizer,
                             models.classifier.embed_max_chars)
    info = {"temperature": model.temperature, "holdout_accuracy": model.info.get("holdout_accuracy"),
            "label_field": label_field, "dataset": dataset.name, "dataset_digest": dataset.digest,
            "dataset_rows": len(texts), "knowledge_base_examples": len(extra_texts),
            "classes": len(set(labels + extra_labels)), "dataset_path": str(source) if source else None}
    model.save(out, extra=info)
    return info


def cross_validate(dataset: Dataset, models: Models, folds: int = 5, seed: int = 0) -> dict[str, Any]:
    """Stratified K-fold: GridTriage's classifier and the TF-IDF + linear SVM baseline trained on
    the same K−1 folds and scored on the held-out fold."""
    texts, labels = labelled_texts(dataset, models)
    y = np.array(labels)
    if np.min(np.unique(y, return_counts=True)[1]) < folds:
        raise ValueError(f"every label needs at least {folds} rows for {folds}-fold cross-validation")
    window = models.classifier.embed_max_chars  # the same window the pipeline embeds at triage
    vectors = models.embedder.embed([t[:window] for t in texts])
    scores: dict[str, dict[str, list[float]]] = {"gridtriage": {"accuracy": [], "macro_f1": []},
                                                 "tfidf-svm": {"accuracy": [], "macro_f1": []}}
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(texts, y):
        train_texts, test_texts = [texts[i] for i in train], [texts[i] for i in test]
        model = SupervisedModel.train(train_texts, list(y[train]), models.embedder, models.tokenizer,
                                      embed_max_chars=window, vectors=vectors[train])
        probs = model.predict_proba(test_texts, vectors[test], models.tokenizer)
        predicted = {"gridtriage": [model.labels[i] for i in probs.argmax(axis=1)],
                     "tfidf-svm": [r[0] for r in TfidfSvm(models.tokenizer).fit(train_texts, list(y[train]))
                                   .rank(test_texts)]}
        for name, pred in predicted.items():
            report = metrics.classification_report(list(y[test]), pred)
            scores[name]["accuracy"].append(report["accuracy"])
            scores[name]["macro_f1"].append(report["macro_f1"])
    return {
        "folds": folds, "rows": len(texts), "classes": len(set(labels)),
        **{name: {f"{k}_mean": float(np.mean(v)) for k, v in s.items()}
           | {f"{k}_std": float(np.std(v)) for k, v in s.items()} | {"macro_f1_folds": s["macro_f1"]}
           for name, s in scores.items()},
    }
