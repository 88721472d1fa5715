"""The classifier's worst errors: the wrong classifications it was most sure of, with their texts, so
a reader of the evaluation report sees what went wrong rather than only how often."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eval.predictions import Prediction


def worst_errors(labelled: Sequence[Prediction], limit: int = 10) -> list[dict[str, Any]]:
    """The `limit` most confident wrong categories, most confident first."""
    wrong = [p for p in labelled
             if p.result is not None and p.report.category is not None and p.category != p.report.category]
    wrong.sort(key=lambda p: -_confidence(p))
    return [{"id": p.report.id, "text": p.report.text, "gold": p.report.category, "predicted": p.category,
             "confidence": round(_confidence(p), 4)} for p in wrong[:limit]]


def _confidence(p: Prediction) -> float:
    return float(p.result.understanding.classification.confidence) if p.result else 0.0
