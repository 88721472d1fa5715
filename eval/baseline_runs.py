"""The baselines run on the same dataset as GridTriage, every figure side by side with its own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from agent.models import Models
from classifiers.urgency import UrgencyDetector
from core.settings import Settings
from eval import metrics
from eval.baselines import BASELINES, KeywordRouter, TfidfClauses, TfidfDedup, TfidfSvm
from eval.datasets import Dataset
from eval.predictions import Prediction


def run_baselines(dataset: Dataset, models: Models, names: Sequence[str], labelled: list[Prediction],
               predictions: list[Prediction], settings: Settings) -> dict[str, Any]:
    """Baselines learn from what GridTriage learns from: the knowledge base's examples (and, for
    urgency, its urgency examples and the labelled datasets they name, without this dataset)."""
    kb = models.kb
    rows = [p for p in labelled if p.report.category is not None]
    texts = [f"{p.report.title or ''} {p.report.text}" for p in rows]
    gold = [str(p.report.category) for p in rows]
    out: dict[str, Any] = {}
    for name in names:
        if name == "tfidf-svm":
            train_texts = [e for leaf in kb.leaves.values() for e in leaf.examples]
            train_labels = [leaf.id for leaf in kb.leaves.values() for _ in leaf.examples]
            ranked = TfidfSvm(models.tokenizer).fit(train_texts, train_labels).rank(texts)
        elif name == "keywords":
            ranked = KeywordRouter(kb).rank(texts)
        else:
            raise ValueError(f"unknown baseline {name!r}; choose from {', '.join(BASELINES)}")
        report = metrics.classification_report(gold, [r[0] for r in ranked])
        entry: dict[str, Any] = {"accuracy": report["accuracy"], "macro_f1": report["macro_f1"],
                                 "top3_accuracy": metrics.top_k_accuracy(gold, ranked, 3)}
        if dataset.has("department"):
            dept_rows = [(p, r) for p, r in zip(rows, ranked, strict=True) if p.report.department]
            leads = [list(dict.fromkeys(kb.leaves[leaf].lead[0] for leaf in r[:5])) for _, r in dept_rows]
            dept_gold = [str(p.report.department) for p, _ in dept_rows]
            entry["department_top1_accuracy"] = metrics.top_k_accuracy(dept_gold, leads, 1)
            entry["department_top3_accuracy"] = metrics.top_k_accuracy(dept_gold, leads, 3)
        if name == "tfidf-svm":
            entry.update(_tfidf_beyond_categories(dataset, models, rows, ranked, labelled, predictions, settings))
        out[name] = entry
    return out


def _tfidf_beyond_categories(dataset: Dataset, models: Models, rows: list[Prediction], ranked: list[list[str]],
                             labelled: list[Prediction], predictions: list[Prediction],
                             settings: Settings) -> dict[str, Any]:
    """The TF-IDF counterparts of urgency, clauses, dedup and refusals: a linear SVM over the urgency
    levels, the most similar clause of the predicted lead, text-only merging, and no refusals."""
    kb = models.kb
    out: dict[str, Any] = {}
    text_of = {p.report.id: f"{p.report.title or ''} {p.report.text}" for p in predictions}
    if dataset.has("urgent"):
        held = frozenset(f"{dataset.name}.jsonl:{p.report.id}" for p in predictions)
        detector = UrgencyDetector(kb, models.embedder, models.tokenizer, models.classifier,
                                   text_filter=models.places.content, settings=settings.urgency, holdout=held)
        examples = detector.training_examples()
        levels = TfidfSvm(models.tokenizer).fit([e.text for e in examples], [e.level for e in examples])
        urgency_rows = [p for p in labelled if p.report.urgent is not None]
        got = [r[0] for r in levels.rank([text_of[p.report.id] for p in urgency_rows])]
        out["urgency"] = metrics.binary_report([bool(p.report.urgent) for p in urgency_rows],
                                               [g == "urgent" for g in got])
        if any(p.report.urgency for p in urgency_rows):
            pairs = [(p, g) for p, g in zip(urgency_rows, got, strict=True) if p.report.urgency]
            out["urgency_levels"] = {level: metrics.binary_report([p.report.urgency == level for p, _ in pairs],
                                                                  [g == level for _, g in pairs])
                                     for level in ("urgent", "high")}
        harmless = [g == "urgent" for p, g in zip(urgency_rows, got, strict=True) if p.report.alarming_harmless]
        if harmless:
            out["harmless_flagged_urgent"] = sum(harmless)
    if dataset.has("clauses"):
        clauses = TfidfClauses(kb, models.tokenizer)
        first = []
        for p, r in zip(rows, ranked, strict=True):
            if p.report.clauses and p.result:
                lead = kb.leaves[r[0]].lead[0]
                cited = clauses.first(text_of[p.report.id], lead) if lead == p.report.department else None
                first.append(cited in set(p.report.clauses))
        out["clause_precision_at_1"] = float(np.mean(first)) if first else float("nan")
    if dataset.has("cluster"):
        kept = [p for p in predictions if p.result and p.prepared]
        times = [(p.prepared.intake.reported_at or p.prepared.intake.received_at).timestamp()
                 for p in kept if p.prepared]
        found = TfidfDedup(models.tokenizer, settings.dedup.time_window_hours).clusters(
            [text_of[p.report.id] for p in kept], times)
        gold_clusters = [p.report.cluster or f"single:{p.report.id}" for p in kept]
        out["dedup"] = metrics.pairwise_clustering(gold_clusters, found)
        if dataset.has("near_miss_of"):
            members: dict[str, set[int]] = {}
            for p, c in zip(kept, found, strict=True):
                if p.report.cluster:
                    members.setdefault(p.report.cluster, set()).add(c)
            out["near_miss_false_merges"] = sum(
                1 for i, (p, c) in enumerate(zip(kept, found, strict=True))
                if p.report.near_miss_of and c != i and c in members.get(str(p.report.near_miss_of), set()))
    if any(p.report.expect_error for p in predictions):
        out["refused"] = 0  # a classifier files every input
    return out
