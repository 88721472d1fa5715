"""Benchmarks for the triage core: per-report latency and batch throughput, start-up time, and
dedup lookups against a large synthetic index. Each prints a table of measured figures."""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from agent.case_index import CaseIndex
from agent.intake import ReportRejected
from agent.models import Models
from agent.pipeline import TriagePipeline
from core.settings import Settings
from core.types import ReportIn
from eval.shared_data import read_jsonl, shared_data_dir


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def sample_reports(settings: Settings, n: int) -> tuple[list[str], str]:
    """Real citizen messages (Teddy Cup 2020) when ../shared/data is present, else KB examples."""
    data = shared_data_dir()
    if data and (data / "teddy2020" / "messages_hot.jsonl").exists():
        texts = [r["text"] for r in read_jsonl(data / "teddy2020" / "messages_hot.jsonl")
                 if 0 < len(r["text"].strip()) <= settings.max_report_chars]
        source = "teddy2020/messages_hot.jsonl (real messages)"
    else:
        from knowledge.loader import load_kb

        kb = load_kb(settings.kb_dir)
        texts = [e for leaf in kb.leaves.values() for e in leaf.examples]
        source = "knowledge-base examples"
    reps = (n + len(texts) - 1) // len(texts)
    return (texts * reps)[:n], source


def bench_cli_startup(settings: Settings, runs: int = 5) -> dict[str, Any]:
    """Wall time of fresh `gridtriage` processes (median of `runs`): `--help`, a refused empty report,
    and one `triage --llm none` with the caches already filled by a first run (not counted)."""
    command = [sys.executable, "-m", "cli"]
    text = "我们小区门口的路灯坏了好几天了，晚上黑漆漆的"
    with tempfile.TemporaryDirectory() as work:
        triage = [*command, "triage", text, "--llm", "none", "--db", str(Path(work) / "startup.db"),
                  "--kb", settings.kb_dir, "--embedder", settings.embedder.backend]
        cases = {"cli_help_s": [*command, "--help"], "cli_refusal_s": [*command, "triage", ""],
                 "cli_triage_s": triage}
        subprocess.run(triage, capture_output=True, check=True)  # fills the model caches
        out: dict[str, Any] = {}
        for name, argv in cases.items():
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                subprocess.run(argv, capture_output=True, check=False)
                times.append(time.perf_counter() - started)
            out[name] = round(statistics.median(times), 2)
    return out


def bench_startup(settings: Settings) -> dict[str, Any]:
    """Cold start (empty embedding cache) and warm start (cache filled), in this process."""
    out: dict[str, Any] = {}
    previous = os.environ.get("GRIDTRIAGE_CACHE")
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as dbdir:
        os.environ["GRIDTRIAGE_CACHE"] = cache
        try:
            for label in ("cold", "warm"):
                s = settings.model_copy(update={"db": str(Path(dbdir) / f"{label}.db")})
                started = time.perf_counter()
                pipeline = TriagePipeline(s)
                pipeline.warm_up()
                out[f"startup_{label}_s"] = round(time.perf_counter() - started, 2)
                out[f"startup_{label}_stages_ms"] = {k: round(v) for k, v in pipeline.warm_up_ms.items()}
                pipeline.store.close()
        finally:
            if previous is None:
                os.environ.pop("GRIDTRIAGE_CACHE", None)
            else:
                os.environ["GRIDTRIAGE_CACHE"] = previous
    return out


def bench_triage(settings: Settings, reports: int = 1000, warmup: int = 20) -> dict[str, Any]:
    texts, source = sample_reports(settings, reports + warmup)
    with tempfile.TemporaryDirectory() as dbdir:
        s = settings.model_copy(update={"db": str(Path(dbdir) / "bench.db")})
        pipeline = TriagePipeline(s, models=Models.load(s))
        pipeline.warm_up()
        for text in texts[:warmup]:
            pipeline.triage(ReportIn(text=text))
        latencies: list[float] = []
        stages: dict[str, list[float]] = {}
        rejected = duplicates = 0
        started = time.perf_counter()
        for text in texts[warmup:]:
            t0 = time.perf_counter()
            try:
                result = pipeline.triage(ReportIn(text=text))
            except ReportRejected:
                rejected += 1
                continue
            latencies.append((time.perf_counter() - t0) * 1000)
            duplicates += result.duplicate_of is not None
            for stage, ms in result.timings_ms.items():
                stages.setdefault(stage, []).append(ms)
        elapsed = time.perf_counter() - started
        open_cases = len(pipeline.dedup.index)
        pipeline.store.close()
    return {
        "source": source,
        "reports": len(latencies),
        "rejected": rejected,
        "merged_as_duplicates": duplicates,
        "open_cases_at_end": open_cases,
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
        "throughput_per_s": round(len(latencies) / elapsed, 1),
        "stage_p50_ms": {k: round(percentile(v, 50), 2) for k, v in stages.items()},
        "stage_p95_ms": {k: round(percentile(v, 95), 2) for k, v in stages.items()},
    }


def bench_batch(settings: Settings, reports: int = 1000, workers: tuple[int, ...] = (1, 2)) -> dict[str, Any]:
    """Throughput of the real `gridtriage batch` command, a fresh process as users run it, with 1 and
    more worker processes; the rate excludes start-up (measured on its own by bench_startup)."""
    texts, source = sample_reports(settings, reports)
    out: dict[str, Any] = {"batch_source": source, "batch_reports": reports}
    with tempfile.TemporaryDirectory() as work:
        rows = Path(work) / "in.jsonl"
        rows.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n"
                                for i, t in enumerate(texts)), encoding="utf-8")
        for n in workers:
            command = [sys.executable, "-m", "cli", "batch", str(rows), str(Path(work) / f"out{n}.jsonl"),
                       "--workers", str(n), "--db", str(Path(work) / f"batch{n}.db"), "--kb", settings.kb_dir,
                       "--embedder", settings.embedder.backend]
            proc = subprocess.run(command, capture_output=True, text=True, check=False,
                                  env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"})
            rate = re.search(r"\(([\d.]+) rows/s\)", proc.stderr)
            if proc.returncode != 0 or rate is None:
                raise RuntimeError(f"gridtriage batch failed: {proc.stderr[-2000:]}")
            out[f"batch_workers_{n}_per_s"] = float(rate.group(1))
    return out


def bench_dedup(cases: int = 1_000_000, queries: int = 2000, dimension: int = 512,
                nprobe: int = 16, seed: int = 0) -> dict[str, Any]:
    """A synthetic index shaped like real case embeddings (clustered unit vectors), then lookups of
    perturbed copies of indexed cases: latency, and recall of the exact case at top-1."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(2000, dimension)).astype(np.float32)
    vectors = np.empty((cases, dimension), dtype=np.float32)
    chunk = 100_000
    for start in range(0, cases, chunk):
        n = min(chunk, cases - start)
        block = centres[rng.integers(0, len(centres), n)] + 0.6 * rng.normal(size=(n, dimension)).astype(np.float32)
        vectors[start : start + n] = block / np.linalg.norm(block, axis=1, keepdims=True)
    index = CaseIndex(dimension, nprobe=nprobe)
    t0 = time.perf_counter()
    index.rebuild(np.arange(cases, dtype=np.int64), vectors)
    build_s = time.perf_counter() - t0
    targets = rng.integers(0, cases, queries)
    noisy = vectors[targets] + 0.02 * rng.normal(size=(queries, dimension)).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    for q in noisy[:50]:
        index.search(q, 20)
    latencies, hits = [], 0
    for target, q in zip(targets, noisy, strict=True):
        t = time.perf_counter()
        found = index.search(q, 20)
        latencies.append((time.perf_counter() - t) * 1000)
        hits += bool(found) and found[0][0] == int(target)
    return {
        "indexed_cases": cases, "dimension": dimension, "index": index.kind, "nprobe": nprobe,
        "build_s": round(build_s, 1), "queries": queries, "k": 20,
        "p50_ms": round(percentile(latencies, 50), 3), "p95_ms": round(percentile(latencies, 95), 3),
        "top1_recall": round(hits / queries, 4),
    }
