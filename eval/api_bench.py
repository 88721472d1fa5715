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
from eval.server import free_port, start_server, wait_for_workers


def bench_api(settings: Settings, requests: int = 5000, concurrency: int = 20, dataset: str | None = None,
              workers: int = 1, db: str | None = None, rate: float | None = None) -> dict[str, Any]:
    """`dataset`: a labelled dataset's texts (e.g. zhengzhou_test) instead of the real Teddy messages.
    `workers`: `serve --workers`; `db`: an empty database to use (a PostgreSQL URL, say) instead of
    a temporary SQLite file; `rate`: requests started at this steady rate per second (a city's peak)
    instead of `concurrency` clients posting as fast as they are answered."""
    if dataset:
        from eval.datasets import read_dataset, resolve_dataset

        pool = [r.text for r in read_dataset(resolve_dataset(dataset)).reports if not r.expect_error]
        texts, source = (pool * (requests // len(pool) + 1))[:requests], dataset
    else:
        texts, source = sample_reports(settings, requests)
    with tempfile.TemporaryDirectory() as tmp:
        db = db or str(Path(tmp) / "bench.db")
        store = CaseStore.open(db)
        key = ApiKeys(store).create("dispatcher", "bench")
        store.close()
        port = free_port()
        config = Path(tmp) / "config.json"  # the load generator is one client: lift its rate limit
        config.write_text(json.dumps({"api": {"rate_limit_per_minute": 10_000_000}}))
        server = start_server(db, port, ["--config", str(config), "--workers", str(workers)],
                              log=Path(tmp) / "server.log")
        try:
            wait_for_workers(f"http://127.0.0.1:{port}", workers)
            started = time.perf_counter()
            latencies, statuses = asyncio.run(_load(f"http://127.0.0.1:{port}", key, texts, concurrency, rate))
            elapsed = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
    errors = sum(1 for s in statuses if s not in (200, 201))
    codes: dict[str, int] = {}
    for s in statuses:
        codes[str(s)] = codes.get(str(s), 0) + 1
    return {
        "requests": len(latencies), "workers": workers, "database": db.split("://")[0] if "://" in db else "sqlite",
        "concurrency": concurrency if rate is None else f"steady {rate:g}/s", "source": source,
        "p50_ms": round(percentile(latencies, 50), 1), "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1), "requests_per_s": round(len(latencies) / elapsed, 1),
        "errors": errors, "status_codes": codes,
    }


async def _load(base: str, key: str, texts: list[str], concurrency: int,
                rate: float | None) -> tuple[list[float], list[int]]:
    if rate is not None:
        return await _steady(base, key, texts, rate)
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
                await _timed_post(client, queue.get_nowait(), latencies, statuses)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, statuses


async def _steady(base: str, key: str, texts: list[str], rate: float) -> tuple[list[float], list[int]]:
    """Request i starts at i / rate seconds, whether or not the earlier ones were answered."""
    latencies: list[float] = []
    statuses: list[int] = []
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60,
                                 limits=httpx.Limits(max_connections=200)) as client:

        async def one(i: int, text: str, start: float) -> None:
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            await _timed_post(client, text, latencies, statuses)

        start = time.perf_counter()
        await asyncio.gather(*(one(i, text, start) for i, text in enumerate(texts)))
    return latencies, statuses


async def _timed_post(client: httpx.AsyncClient, text: str, latencies: list[float], statuses: list[int]) -> None:
    """One report posted; its latency in ms and its status (0: no answer) appended."""
    t = time.perf_counter()
    try:
        r = await client.post("/v1/reports", json={"text": text, "channel": "bench"})
        statuses.append(r.status_code)
    except httpx.HTTPError:
        statuses.append(0)
    latencies.append((time.perf_counter() - t) * 1000)
