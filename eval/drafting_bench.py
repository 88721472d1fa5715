"""Drafting benchmark: model load time, draft latency and tokens per second, and draft quality on a
labelled dataset, for each provider side by side (`gridtriage bench drafting`).

Quality per provider:
- valid_first_time: share of drafts whose first output parsed, validated and passed the guardrails;
- fallback: share that ended in the template draft;
- lead_agrees_router: share whose lead department is one the retrieval router chose;
- category_agrees_gold: share whose category is the dataset's gold label.
Each report is drafted on its own (no dedup merging), from the same pipeline facts for every provider.
The prompt's fixed head is evaluated once before the first draft (`prompt_head_s`), as the drafter
process does when it starts.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from agent.drafting import Drafter, make_drafter
from agent.models import Models
from agent.pipeline import TriagePipeline
from core.settings import LLMSettings, Settings
from core.types import DedupResult, DraftFacts, ReportIn
from eval.bench import percentile
from eval.datasets import read_dataset, resolve_dataset


def bench_drafting(settings: Settings, dataset: str, providers: list[str], reports: int) -> list[dict[str, Any]]:
    data = read_dataset(resolve_dataset(dataset))
    sample = [r for r in data.reports if r.category and not r.expect_error][:reports]
    rows = []
    with tempfile.TemporaryDirectory() as dbdir:
        s = settings.model_copy(update={"db": str(Path(dbdir) / "bench.db"),
                                        "llm": settings.llm.model_copy(update={"provider": "none"})})
        pipeline = TriagePipeline(s, models=Models.load(s))
        pipeline.warm_up()
        facts = [_facts(pipeline, ReportIn(text=r.text, title=r.title, received_at=r.time)) for r in sample]
        gold = [r.category for r in sample]
        for provider in providers:
            llm = settings.llm.model_copy(update={"provider": provider})
            rows.append(_bench_one(make_drafter(llm, pipeline.models.kb), llm, facts, gold, data.name))
        pipeline.store.close()
    return rows


def _facts(pipeline: TriagePipeline, report: ReportIn) -> DraftFacts:
    prepared = pipeline.prepare(report)
    return DraftFacts(intake=prepared.intake, understanding=prepared.understanding, routing=prepared.routing,
                      dedup=DedupResult(duplicate_of=None), deadlines=pipeline.deadlines(prepared))


def _bench_one(drafter: Drafter, llm: LLMSettings, facts: list[DraftFacts], gold: list[str | None],
               dataset: str) -> dict[str, Any]:
    started = time.perf_counter()
    drafter.warm_up()
    load_s = time.perf_counter() - started
    prime_s = drafter.prime()  # as the drafter process does before its first job
    latencies, first_valid, fallbacks, lead_ok, category_ok = [], 0, 0, 0, 0
    prompt_tokens, output_tokens, call_seconds = [], 0, 0.0
    for f, label in zip(facts, gold, strict=True):
        t = time.perf_counter()
        outcome = drafter.draft(f)
        latencies.append(time.perf_counter() - t)
        calls = outcome.calls
        first_valid += not calls or calls[0].error is None
        fallbacks += outcome.fallback_reason is not None
        lead_ok += outcome.draft.lead_department_id in {d.id for d in f.routing.departments if d.role == "lead"}
        category_ok += outcome.draft.category_id == label
        for call in calls:
            prompt_tokens.append(call.prompt_tokens or 0)
            output_tokens += call.completion_tokens or 0
            call_seconds += call.latency_ms / 1000
    n = len(facts)
    return {
        "provider": llm.provider,
        "model": getattr(getattr(drafter, "provider", None), "model_name", "template"),
        "dataset": dataset,
        "reports": n,
        "load_s": round(load_s, 2),
        "prompt_head_s": round(prime_s, 2),
        "draft_p50_s": round(percentile(latencies, 50), 2),
        "draft_p95_s": round(percentile(latencies, 95), 2),
        "prompt_tokens_mean": round(statistics.fmean(prompt_tokens)) if prompt_tokens else 0,
        "output_tokens_per_s": round(output_tokens / call_seconds, 1) if call_seconds else None,
        "valid_first_time": round(first_valid / n, 3),
        "fallback": round(fallbacks / n, 3),
        "lead_agrees_router": round(lead_ok / n, 3),
        "category_agrees_gold": round(category_ok / n, 3),
    }
