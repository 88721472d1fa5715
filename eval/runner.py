"""`gridtriage eval`: run GridTriage over a labelled dataset, in order, on a fresh case store, and
measure every task the dataset has labels for, with baselines side by side."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from agent.dedup import DedupStage
from agent.models import Models
from classifiers.urgency import UrgencyDetector
from core.messages import lookup
from core.settings import DedupSettings, Settings
from eval import metrics
from eval.baseline_runs import run_baselines
from eval.datasets import Dataset
from eval.predictions import REJECTED, Prediction, run_gridtriage
from eval.worst_errors import worst_errors

TASKS = ("classification", "routing", "urgency", "dedup", "speed", "confidence")


def evaluate(dataset: Dataset, settings: Settings, tasks: Sequence[str] = TASKS,
             baselines: Sequence[str] = (), models: Models | None = None) -> dict[str, Any]:
    models = models or Models.load(settings)
    _refuse_foreign_categories(dataset, models, tasks)
    predictions, elapsed = _predict(dataset, settings, models, cross_validate_urgency="urgency" in tasks)
    out: dict[str, Any] = {"dataset": {"name": dataset.name, "digest": dataset.digest, "reports": len(dataset.reports)},
                           "rejected": sum(p.result is None for p in predictions)}
    labelled = [p for p in predictions if not p.report.expect_error]
    if any(p.report.expect_error for p in predictions):
        bad = [p for p in predictions if p.report.expect_error]
        out["rejection"] = {"expected": len(bad), "rejected": sum(p.result is None for p in bad),
                            "wrongly_rejected": sum(p.result is None for p in labelled)}
    if "classification" in tasks and dataset.has("category"):
        out["classification"] = _classification(labelled)
    if "routing" in tasks and dataset.has("department"):
        out["routing"] = _routing(labelled)
    if "urgency" in tasks and dataset.has("urgent"):
        out["urgency"] = _urgency(labelled)
    if "urgency" in tasks and dataset.has("emergency"):
        out["emergency"] = _emergency(labelled)
    if "routing" in tasks and dataset.has("clauses"):
        out["clauses"] = _clauses(labelled)
    if "dedup" in tasks and dataset.has("cluster"):
        out["dedup"] = _dedup(predictions, models, settings.dedup)
        if dataset.has("near_miss_of"):
            out["dedup"]["near_misses"] = _near_misses(predictions)
    if "speed" in tasks:
        out["speed"] = _speed(predictions, elapsed)
    if "confidence" in tasks and "classification" in out:
        out["confidence"] = _confidence(labelled, models, settings)
    if baselines:
        out["baselines"] = run_baselines(dataset, models, baselines, labelled, predictions, settings)
    return out


def _refuse_foreign_categories(dataset: Dataset, models: Models, tasks: Sequence[str]) -> None:
    """Classification needs category labels from this knowledge base."""
    foreign = {r.category for r in dataset.reports if r.category} - set(models.kb.leaves)
    if foreign and "classification" in tasks:
        raise ValueError(lookup("eval.foreign_labels", dataset=dataset.name,
                                labels="、".join(sorted(foreign)[:5])))


def _predict(dataset: Dataset, settings: Settings, models: Models,
             cross_validate_urgency: bool) -> tuple[list[Prediction], float]:
    """GridTriage's predictions for the dataset and the seconds the run took."""
    started = time.perf_counter()
    predictions = run_gridtriage(dataset, settings, models)
    elapsed = time.perf_counter() - started
    if cross_validate_urgency:
        _cross_validate_urgency(dataset, predictions, models, settings)
    return predictions, elapsed


def _classification(labelled: list[Prediction]) -> dict[str, Any]:
    rows = [p for p in labelled if p.report.category is not None]
    gold = [str(p.report.category) for p in rows]
    report = metrics.classification_report(gold, [p.category for p in rows])
    report["top3_accuracy"] = metrics.top_k_accuracy(gold, [p.ranked_categories for p in rows], 3)
    parents = [g.split(".")[0] for g in gold]
    report["parent_accuracy"] = float(np.mean([p.category.split(".")[0] == g for p, g in zip(rows, parents,
                                                                                              strict=True)]))
    report["worst_errors"] = worst_errors(rows)
    return report


def _routing(labelled: list[Prediction]) -> dict[str, Any]:
    rows = [p for p in labelled if p.report.department is not None]
    gold = [str(p.report.department) for p in rows]
    ranked = [[d.id for d in p.result.routing.ranking] if p.result else [] for p in rows]
    leads = [[d.id for d in p.result.routing.departments if d.role == "lead"] if p.result else [] for p in rows]
    assists = [[d.id for d in p.result.routing.departments if d.role == "assist"] if p.result else []
               for p in rows]
    return {
        "n": len(rows),
        "top1_accuracy": metrics.top_k_accuracy(gold, ranked, 1),
        "top3_accuracy": metrics.top_k_accuracy(gold, ranked, 3),
        "lead_or_joint_lead_accuracy": float(np.mean([g in lead for g, lead in zip(gold, leads, strict=True)])),
        "joint_share": float(np.mean([len(lead) > 1 for lead in leads])),
        "assist_recall": metrics.set_recall([list(p.report.assist) for p in rows], assists),
        "errors": _top_errors(gold, [r[0] if r else REJECTED for r in ranked]),
    }


def _urgency(labelled: list[Prediction]) -> dict[str, Any]:
    rows = [p for p in labelled if p.report.urgent is not None]
    predicted = [bool(p.urgency and p.urgency.urgent) for p in rows]
    gold_urgent = [bool(p.report.urgent) for p in rows]
    chances = [p.urgency.probabilities.get("urgent", 0.0) if p.urgency else 0.0 for p in rows]
    return {
        **metrics.binary_report(gold_urgent, predicted),
        "cross_validated": any(p.held_out_urgency is not None for p in rows),
        "curve": [{"threshold": t, **metrics.binary_report(gold_urgent, [c >= t for c in chances])}
                  for t in (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)],
        "missed_ids": [p.report.id for p, hit in zip(rows, predicted, strict=True) if p.report.urgent and not hit],
        **_urgency_levels(labelled),
    }


def _speed(predictions: list[Prediction], elapsed: float) -> dict[str, Any]:
    stages: dict[str, list[float]] = {}
    for p in predictions:
        if p.result:
            for stage, ms in p.result.timings_ms.items():
                stages.setdefault(stage, []).append(ms)
    latencies = [p.latency_ms for p in predictions if p.result]
    return {**metrics.latency(latencies), "latencies_ms": latencies,
            "throughput_per_s": len(predictions) / elapsed,
            "stages": {k: metrics.latency(v) for k, v in stages.items()}}


def _confidence(labelled: list[Prediction], models: Models, settings: Settings) -> dict[str, Any]:
    rows = [p for p in labelled if p.report.category is not None and p.result]
    conf = [p.result.understanding.classification.confidence for p in rows if p.result]
    correct = [p.category == p.report.category for p in rows]
    mode = next(m for m in models.kb.policy.modes if m.id == (settings.mode or models.kb.policy.default_mode))
    return {**metrics.calibration(conf, correct),
            "auto_dispatch": metrics.at_threshold(conf, correct, mode.auto_dispatch_threshold),
            "curve": [metrics.at_threshold(conf, correct, t) for t in np.linspace(0.3, 0.99, 15)]}


def _cross_validate_urgency(dataset: Dataset, predictions: list[Prediction], models: Models, settings: Settings,
                            folds: int = 5) -> None:
    """When the knowledge base's urgency model learned from this dataset, score each report with a
    model trained without its fold (folds keep a cluster's reports together)."""
    sources = {row.source for row in models.kb.urgency_labelled}
    own = [p for p in predictions if p.prepared and f"{dataset.name}.jsonl:{p.report.id}" in sources]
    if not own:
        return
    groups = sorted({p.report.cluster or p.report.id for p in own})
    fold_of = {g: i % folds for i, g in enumerate(groups)}
    for fold in range(folds):
        members = [p for p in own if fold_of[p.report.cluster or p.report.id] == fold]
        held = frozenset(f"{dataset.name}.jsonl:{p.report.id}" for p in members)
        detector = UrgencyDetector(models.kb, models.embedder, models.tokenizer, models.classifier,
                                   text_filter=models.places.content, settings=settings.urgency,
                                   embed_max_chars=settings.embed_max_chars, holdout=held)
        for p in members:
            assert p.prepared is not None
            text = p.prepared.intake.matching_text
            p.held_out_urgency = detector.run(text, models.places.content(text), p.prepared.vector,
                                              p.prepared.understanding.classification)


def _urgency_levels(rows: list[Prediction]) -> dict[str, Any]:
    """Precision and recall per level where the dataset labels levels, and harmless reports with
    alarming words that were called urgent."""
    out: dict[str, Any] = {}
    levelled = [p for p in rows if p.report.urgency]
    if levelled:
        got = [p.urgency.level if p.urgency else "normal" for p in levelled]
        out["levels"] = {level: metrics.binary_report([p.report.urgency == level for p in levelled],
                                                      [g == level for g in got])
                         for level in ("urgent", "high")}
    harmless = [p for p in rows if p.report.alarming_harmless]
    if harmless:
        flagged = [p.report.id for p in harmless if p.urgency and p.urgency.urgent]
        out["harmless"] = {"n": len(harmless), "flagged_urgent": len(flagged), "flagged_ids": flagged}
    return out


def _emergency(rows: list[Prediction]) -> dict[str, Any]:
    """The services called for reports that need one, against the gold services (micro-averaged),
    and the emergency protocols raised for reports that need none."""
    gold_calls = [set(p.report.emergency or ()) for p in rows if p.report.emergency is not None]
    got_calls = [{c.id for c in p.urgency.emergency.call} if p.urgency and p.urgency.emergency else set()
                 for p in rows if p.report.emergency is not None]
    hits = sum(len(g & c) for g, c in zip(gold_calls, got_calls, strict=True))
    called, needed = sum(len(c) for c in got_calls), sum(len(g) for g in gold_calls)
    needing = [(g, c) for g, c in zip(gold_calls, got_calls, strict=True) if g]
    return {"n": len(gold_calls), "needing": len(needing),
            "protocol_recall": float(np.mean([bool(c) for _, c in needing])) if needing else float("nan"),
            "service_precision": hits / called if called else float("nan"),
            "service_recall": hits / needed if needed else float("nan"),
            "raised_without_need": sum(bool(c) and not g for g, c in zip(gold_calls, got_calls, strict=True))}


def _clauses(rows: list[Prediction]) -> dict[str, Any]:
    """Is the lead's first cited clause one of the gold clauses (precision@1), and does any clause
    cited for the lead justify it; assisting departments' clauses are counted apart."""
    gold_rows = [p for p in rows if p.report.clauses and p.result]
    first, anywhere = [], []
    for p in gold_rows:
        assert p.result is not None
        gold = set(p.report.clauses or ())
        lead = [d for d in p.result.routing.departments if d.role == "lead" and d.id == p.report.department]
        cited = [c.id for d in lead for c in d.clauses]
        first.append(bool(cited) and cited[0] in gold)
        anywhere.append(bool(gold & set(cited)))
    return {"n": len(gold_rows),
            "lead_precision_at_1": float(np.mean(first)) if first else float("nan"),
            "lead_any_cited": float(np.mean(anywhere)) if anywhere else float("nan"),
            "lead_missing_or_wrong_department": sum(not any(d.role == "lead" and d.id == p.report.department
                                                            for d in p.result.routing.departments)
                                                    for p in gold_rows if p.result)}


def _near_misses(predictions: list[Prediction]) -> dict[str, Any]:
    """Reports that must not merge with a cluster: how many were merged into a case that holds one
    of its members."""
    case_of_cluster: dict[str, set[int]] = {}
    for p in predictions:
        if p.result and p.report.cluster:
            case_of_cluster.setdefault(p.report.cluster, set()).add(p.result.case_id)
    rows = [p for p in predictions if p.report.near_miss_of and p.result]
    merged = [p.report.id for p in rows if p.result and p.result.duplicate_of is not None
              and p.result.case_id in case_of_cluster.get(str(p.report.near_miss_of), set())]
    return {"n": len(rows), "false_merges": len(merged), "false_merge_ids": merged}


def _top_errors(gold: list[str], predicted: list[str], k: int = 15) -> dict[str, int]:
    errors: dict[str, int] = {}
    for g, p in zip(gold, predicted, strict=True):
        if g != p:
            errors[f"{g} → {p}"] = errors.get(f"{g} → {p}", 0) + 1
    return dict(sorted(errors.items(), key=lambda kv: -kv[1])[:k])


def _dedup(predictions: list[Prediction], models: Models, settings: DedupSettings) -> dict[str, Any]:
    """Pairwise and B-cubed scores of the run, and the curve over a shift of every similarity
    threshold, replayed on the same prepared reports (dedup only, no store)."""
    rows = [p for p in predictions if p.result and p.prepared]
    gold = [p.report.cluster or f"single:{p.report.id}" for p in rows]
    predicted: list[Any] = [p.result.case_id for p in rows if p.result]
    out: dict[str, Any] = {"n": len(rows), "pairwise": metrics.pairwise_clustering(gold, predicted),
                           "bcubed": metrics.bcubed(gold, predicted), "curve": []}
    for shift in (-0.2, -0.15, -0.1, -0.05, 0.0, 0.05, 0.1, 0.15, 0.2):
        shifted = settings.model_copy(update={
            name: min(1.0, max(0.0, getattr(settings, name) + shift))
            for name in ("same_place_similarity", "near_place_similarity", "unknown_place_similarity")})
        replay = _replay(rows, models, shifted)
        out["curve"].append({"shift": shift, **{k: v for k, v in metrics.pairwise_clustering(gold, replay).items()
                                                if k in ("precision", "recall", "f1")}})
    return out


def _replay(rows: list[Prediction], models: Models, settings: DedupSettings) -> list[int]:
    stage = DedupStage(models.kb, models.embedder.dimension, settings)
    clusters: list[int] = []
    for i, p in enumerate(rows):
        assert p.prepared is not None
        u = p.prepared.understanding
        when = p.prepared.intake.reported_at or p.prepared.intake.received_at
        found = stage.run(p.prepared.vector, u.place, u.classification, when, kind=u.kind)
        if found.duplicate_of is not None:
            clusters.append(found.duplicate_of)
            stage.touch(found.duplicate_of, when)
        else:
            clusters.append(i)
            stage.register(i, p.prepared.vector, u.place, u.classification.category.id, when, kind=u.kind)
    return clusters
