"""API benchmark: a real `gridtriage serve` process on loopback, N concurrent clients posting real
reports to POST /v1/reports (template drafting), latency percentiles, throughput and errors.
The clients run on the same machine as the server, so they share its cores."""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from agent.store import CaseStore
from agent.store.keys import ApiKeys
from core.settings import Settings
from eval.bench import percentile, sample_reports
from eval.server import free_port, start_server


def bench_api(settings: Settings, requests: int = 5000, concurrency: int = 20,
              dataset: str | None = None) -> dict[str, Any]:
    """`dataset`: a labelled dataset's texts (e.g. zhengzhou_test) instead of the real Teddy messages."""
    if dataset:
        from eval.datasets import read_dataset, resolve_dataset

        pool = [r.text for r in read_dataset(resolve_dataset(dataset)).reports if not r.expect_error]
        texts, source = (pool * (requests // len(pool) + 1))[:requests], dataset
    else:
        texts, source = sample_reports(settings, requests)
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        store = CaseStore.open(db)
        key = ApiKeys(store).create("dispatcher", "bench")
        store.close()
        port = free_port()
        config = Path(tmp) / "config.json"  # the load generator is one client: lift its rate limit
        config.write_text(json.dumps({"api": {"rate_limit_per_minute": 10_000_000}}))
        server = start_server(db, port, ["--config", str(config)], log=Path(tmp) / "server.log")
        try:
            started = time.perf_counter()
            latencies, statuses = asyncio.run(_load(f"http://127.0.0.1:{port}", key, texts, concurrency))
            elapsed = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
    errors = sum(1 for s in statuses if s not in (200, 201))
    codes: dict[str, int] = {}
    for s in statuses:
        codes[str(s)] = codes.get(str(s), 0) + 1
    return {
        "requests": len(latencies), "concurrency": concurrency, "source": source,
        "p50_ms": round(percentile(latencies, 50), 1), "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1), "requests_per_s": round(len(latencies) / elapsed, 1),
        "errors": errors, "status_codes": codes,
    }


async def _load(base: str, key: str, texts: list[str], concurrency: int) -> tuple[list[float], list[int]]:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for text in texts:
        queue.put_nowait(text)
    latencies: list[float] = []
    statuses: list[int] = []
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60, limits=limits) as client:

        async def worker() -> None:
            while not queue.empty():
                text = queue.get_nowait()
                t = time.perf_counter()
                try:
                    r = await client.post("/v1/reports", json={"text": text, "channel": "bench"})
                    statuses.append(r.status_code)
                except httpx.HTTPError:
                    statuses.append(0)
                latencies.append((time.perf_counter() - t) * 1000)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, statuses
