"""Metric functions: plain inputs in, plain numbers out, each checked against hand-computed cases."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from itertools import pairwise
from typing import Any

import numpy as np


def classification_report(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1 over the gold classes, per-class precision/recall/F1/support, confusion."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted must have the same length")
    labels = sorted(set(gold) | set(predicted))
    per_class: dict[str, dict[str, float]] = {}
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
    gold_classes = sorted(set(gold))
    confusion = Counter(zip(gold, predicted, strict=True))
    return {
        "n": len(gold),
        "accuracy": sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold) if gold else 0.0,
        "macro_f1": float(np.mean([per_class[c]["f1"] for c in gold_classes])) if gold_classes else 0.0,
        "per_class": per_class,
        "confusion": {f"{g} → {p}": n for (g, p), n in confusion.most_common() if g != p},
        "labels": labels,
        "matrix": [[confusion.get((g, p), 0) for p in labels] for g in labels],
    }


def top_k_accuracy(gold: Sequence[str], ranked: Sequence[Sequence[str]], k: int) -> float:
    if not gold:
        return 0.0
    return sum(g in list(r)[:k] for g, r in zip(gold, ranked, strict=True)) / len(gold)


def set_recall(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> float:
    """Share of all gold items (e.g. assisting departments) that were predicted, pooled over reports."""
    total = sum(len(g) for g in gold)
    hit = sum(len(set(g) & set(p)) for g, p in zip(gold, predicted, strict=True))
    return hit / total if total else 1.0


def binary_report(gold: Sequence[bool], predicted: Sequence[bool]) -> dict[str, float]:
    tp = sum(g and p for g, p in zip(gold, predicted, strict=True))
    fp = sum((not g) and p for g, p in zip(gold, predicted, strict=True))
    fn = sum(g and not p for g, p in zip(gold, predicted, strict=True))
    return {
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "positives": tp + fn,
        "predicted_positives": tp + fp,
        "missed": fn,
    }


def pairwise_clustering(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> dict[str, float]:
    """Precision, recall and F1 over all pairs of items: a pair is positive when both are in the same
    cluster. Items are parallel lists of cluster ids (a singleton has an id of its own)."""
    def pairs(counts: Counter[Any]) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    tp = pairs(Counter(zip(gold, predicted, strict=True)))
    fp = pairs(Counter(predicted)) - tp
    fn = pairs(Counter(gold)) - tp
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "gold_pairs": tp + fn, "predicted_pairs": tp + fp}


def bcubed(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> dict[str, float]:
    """B-cubed precision, recall and F1 (Bagga & Baldwin): per item, the overlap of its gold and
    predicted clusters, averaged over items."""
    gold_members: dict[Hashable, set[int]] = defaultdict(set)
    pred_members: dict[Hashable, set[int]] = defaultdict(set)
    for i, (g, p) in enumerate(zip(gold, predicted, strict=True)):
        gold_members[g].add(i)
        pred_members[p].add(i)
    precision = recall = 0.0
    for g, p in zip(gold, predicted, strict=True):
        overlap = len(gold_members[g] & pred_members[p])
        precision += overlap / len(pred_members[p])
        recall += overlap / len(gold_members[g])
    n = len(gold) or 1
    precision, recall = precision / n, recall / n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def calibration(confidences: Sequence[float], correct: Sequence[bool], bins: int = 10) -> dict[str, Any]:
    """Expected calibration error over equal-width confidence bins, and the bins for a reliability plot."""
    conf = np.asarray(confidences, dtype=float)
    hit = np.asarray(correct, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    table, ece = [], 0.0
    for low, high in pairwise(edges):
        inside = (conf > low) & (conf <= high) if low > 0 else (conf >= low) & (conf <= high)
        if not inside.any():
            continue
        accuracy, mean_conf = float(hit[inside].mean()), float(conf[inside].mean())
        ece += inside.sum() / len(conf) * abs(accuracy - mean_conf)
        table.append({"low": float(low), "high": float(high), "count": int(inside.sum()),
                      "accuracy": accuracy, "confidence": mean_conf})
    return {"ece": float(ece), "bins": table}


def at_threshold(confidences: Sequence[float], correct: Sequence[bool], threshold: float) -> dict[str, float]:
    """What auto-dispatch at this confidence would do: the share it takes and its accuracy there."""
    chosen = [c for conf, c in zip(confidences, correct, strict=True) if conf >= threshold]
    return {
        "threshold": threshold,
        "share": len(chosen) / len(confidences) if confidences else 0.0,
        "accuracy": sum(chosen) / len(chosen) if chosen else float("nan"),
    }


def latency(values_ms: Sequence[float]) -> dict[str, float]:
    if not values_ms:
        return {"p50_ms": float("nan"), "p95_ms": float("nan"), "mean_ms": float("nan")}
    v = np.asarray(values_ms, dtype=float)
    return {"p50_ms": float(np.percentile(v, 50)), "p95_ms": float(np.percentile(v, 95)),
            "mean_ms": float(v.mean())}
