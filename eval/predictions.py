"""GridTriage run over a labelled dataset, in order, on a fresh case store: one prediction per report."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from agent.intake import ReportRejected
from agent.models import Models
from agent.pipeline import TriagePipeline
from core.settings import Settings
from core.types import PreparedReport, ReportIn, TriageResult, Urgency
from eval.datasets import Dataset, LabelledReport

REJECTED = "(rejected)"


@dataclass
class Prediction:
    report: LabelledReport
    result: TriageResult | None
    prepared: PreparedReport | None
    error: str | None
    latency_ms: float
    held_out_urgency: Urgency | None = None  # when the urgency model learned from this very report

    @property
    def urgency(self) -> Urgency | None:
        """The urgency to score: the cross-validated one for a report the model learned from."""
        if self.held_out_urgency is not None:
            return self.held_out_urgency
        return self.result.understanding.urgency if self.result else None

    @property
    def category(self) -> str:
        return self.result.understanding.classification.category.id if self.result else REJECTED

    @property
    def ranked_categories(self) -> list[str]:
        if not self.result:
            return [REJECTED]
        return [a.category.id for a in self.result.understanding.classification.alternatives]


def report_in(r: LabelledReport) -> ReportIn:
    return ReportIn(text=r.text, title=r.title, channel="eval", received_at=r.time, reported_at=r.time,
                    external_id=r.id)


def run_gridtriage(dataset: Dataset, settings: Settings, models: Models | None = None) -> list[Prediction]:
    with tempfile.TemporaryDirectory() as work:
        pipeline = TriagePipeline(settings.model_copy(update={"db": str(Path(work) / "eval.db")}), models=models)
        pipeline.warm_up()
        out = []
        for r in dataset.reports:
            started = time.perf_counter()
            try:
                prepared = pipeline.prepare(report_in(r))
                result = pipeline.commit(prepared)
                out.append(Prediction(r, result, prepared, None, (time.perf_counter() - started) * 1000))
            except ReportRejected as exc:
                out.append(Prediction(r, None, None, str(exc), (time.perf_counter() - started) * 1000))
        pipeline.store.close()
    return out
