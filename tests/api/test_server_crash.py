"""`gridtriage serve` killed with SIGKILL in the middle of a burst of reports, then started again
and sent every request once more with its Idempotency-Key, as a client retries an unanswered
request: every answered report is still there and a retry gets the same answer, no report is stored
twice, and no report is left that no request's answer names (the answer is stored in the report's
own transaction)."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from eval.server import free_port, start_server
from tests.support.cli import run

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROUNDS = 3
BURST = 30
DATASET = Path(__file__).resolve().parents[2] / "eval" / "datasets" / "zhengzhou_test.jsonl"


def _post(base: str, key: str, idempotency_key: str, body: dict[str, Any]) -> httpx.Response | None:
    """The answer, or None when the server died before answering."""
    try:
        return httpx.post(f"{base}/v1/reports", json=body, timeout=120,
                          headers={"Authorization": f"Bearer {key}", "Idempotency-Key": idempotency_key})
    except httpx.HTTPError:
        return None


def _one(db: sqlite3.Connection, sql: str) -> int:
    return int(db.execute(sql).fetchone()[0] or 0)


def test_a_server_killed_mid_burst_keeps_every_answer_and_a_retry_stores_nothing_twice(tmp_path: Path) -> None:
    db = tmp_path / "cases.db"
    made = run("keys", "create", "--role", "dispatcher", "--name", "crash", "--db", str(db))
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    rows = [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines()]
    texts = [t for t in (row.get("text") or "" for row in rows) if 10 <= len(t.strip()) <= 2000][:ROUNDS * BURST]
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    answered: dict[str, int] = {}  # Idempotency-Key → the report id its answer named
    unanswered = 0
    for round_no in range(ROUNDS):
        burst = {f"burst-{round_no}-{i}": {"text": text}
                 for i, text in enumerate(texts[round_no * BURST:(round_no + 1) * BURST])}
        port = free_port()
        server = start_server(str(db), port, log=tmp_path / f"server-{round_no}.log")
        base = f"http://127.0.0.1:{port}"
        with ThreadPoolExecutor(BURST) as pool:
            futures = {k: pool.submit(_post, base, key, k, body) for k, body in burst.items()}
            kill_after = rng.randint(1, BURST // 2)  # answers: somewhere in the middle of the burst
            while sum(f.done() for f in futures.values()) < kill_after:
                time.sleep(0.005)
            os.kill(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
            for k, future in futures.items():
                answer = future.result()
                if answer is not None and answer.status_code in (200, 201):
                    answered[k] = answer.json()["report_id"]
                else:
                    assert answer is None, (answer.status_code, answer.text)
                    unanswered += 1

        port = free_port()
        server = start_server(str(db), port, log=tmp_path / f"server-{round_no}-again.log")
        try:
            for k, body in burst.items():
                again = _post(f"http://127.0.0.1:{port}", key, k, body)
                assert again is not None
                assert again.status_code in (200, 201), again.text
                if k in answered:
                    assert again.headers.get("Idempotent-Replayed") == "true", f"seed {seed}: {k} stored twice"
                    assert again.json()["report_id"] == answered[k], f"seed {seed}: {k} answered differently"
                answered[k] = again.json()["report_id"]
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert unanswered > 0, f"seed {seed}: every request was answered before the kill; nothing was tested"

    with sqlite3.connect(db) as conn:
        reports = {r for (r,) in conn.execute("SELECT id FROM reports")}
        named = set(answered.values())
        assert reports == named, f"seed {seed}: reports no answer names: {sorted(reports - named)}"
        assert len(reports) == ROUNDS * BURST
        assert _one(conn, "SELECT count(*) FROM reports WHERE case_id IS NULL") == 0
        assert _one(conn, """SELECT count(*) FROM cases c WHERE c.reporter_count !=
                             (SELECT count(*) FROM reports r WHERE r.case_id = c.id)""") == 0
        answers = [json.loads(body)["report_id"] for (body,) in conn.execute("SELECT response FROM idempotency_keys")]
        assert sorted(answers) == sorted(reports), "each report has exactly one stored answer"
