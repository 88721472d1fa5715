"""Drafter processes as an operator runs them: `serve` starts one, niced; a job survives kill -9 of
the API and of the drafter in the middle of a draft, and a drafter started later finishes it. The
language model is the `fake` provider (its replies are in the settings file; "!wait" makes it slow)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from eval.server import free_port, start_server
from tests.support.cli import run

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

VALID = json.dumps({"title": "文化路东风路口井盖缺失", "summary": "文化路与东风路交叉口井盖丢失，夜间有人员坠落隐患。",
                    "request": "尽快补装井盖", "steps": ["设置围挡警示", "补装井盖"], "category": "C1", "lead": "D1",
                    "assist": [], "priority": "high", "rationale": "井盖属市政设施，由主办部门负责补装"},
                   ensure_ascii=False)


def settings_file(path: Path, *script: str, **drafter: Any) -> str:
    path.write_text(json.dumps({"llm": {"provider": "fake", "script": list(script)}, "drafter": drafter}),
                    encoding="utf-8")
    return str(path)


def jobs(db: Path) -> dict[int, tuple[str, str | None, int, str]]:
    """case id → (job state, claim, attempts, drafter of the case's draft)."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT id, draft_job, draft_job_claim, draft_job_attempts, draft FROM cases").fetchall()
    return {r[0]: (r[1], r[2], r[3], json.loads(r[4])["drafter"]) for r in rows}


def wait_until(check: Any, timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_a_job_survives_kill_9_of_the_api_and_of_its_drafter_and_a_later_drafter_finishes_it(
        tmp_path: Path) -> None:
    db = tmp_path / "cases.db"
    made = run("keys", "create", "--role", "dispatcher", "--name", "drafts", "--db", str(db))
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    slow = settings_file(tmp_path / "slow.json", f"!wait 120 {VALID}", lease_s=3, nice=7)
    port = free_port()
    server = start_server(str(db), port, ["--config", slow, "--llm", "fake"], log=tmp_path / "serve.log")
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {key}"}
    try:
        first = httpx.post(f"{base}/v1/reports", json={"text": "金水路和未来路交叉口的井盖没了，晚上很危险"},
                           headers=headers, timeout=60)
        assert first.status_code == 201, first.text
        assert first.json()["draft_status"] == "llm_pending"
        case_id = first.json()["case_id"]
        _, claim, _, _ = wait_until(lambda: jobs(db)[case_id][0] == "drafting" and jobs(db)[case_id])
        drafter_pid = int(claim.split(":")[2])
        assert os.getpriority(os.PRIO_PROCESS, drafter_pid) == 7, "serve starts its drafter niced"
        second = httpx.post(f"{base}/v1/reports", json={"text": "小区门口的路灯坏了一个星期了，晚上很黑"},
                            headers=headers, timeout=60)
        assert second.status_code == 201, second.text
        health = httpx.get(f"{base}/healthz", timeout=10).json()
        assert health["drafts_pending"] == 2
    finally:
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
    os.kill(drafter_pid, signal.SIGKILL)  # mid-draft: the fake model waits 120 s before it answers
    stored = jobs(db)
    assert (stored[case_id][0], stored[case_id][3]) == ("drafting", "template"), "still held by the dead drafter"
    assert stored[second.json()["case_id"]][0] == "queued"

    quick = settings_file(tmp_path / "quick.json", VALID, lease_s=3)
    time.sleep(3.5)  # the dead drafter's lease runs out
    drained = run("drafter", "--db", str(db), "--config", quick, "--drain", llm="fake")
    assert drained.returncode == 0, drained.stderr
    assert "2 replaced" in drained.stderr
    after = jobs(db)
    assert after[case_id] == ("done", None, 2, "fake:fake"), "taken again after the lease, on its second attempt"
    assert after[second.json()["case_id"]] == ("done", None, 1, "fake:fake")


def test_the_drafter_refuses_to_start_without_a_language_model(tmp_path: Path) -> None:
    done = run("drafter", "--db", str(tmp_path / "cases.db"), "--drain")
    assert done.returncode == 2
    assert "needs a language model" in done.stderr


def test_a_batch_queues_its_new_cases_for_drafters_and_a_drafter_drains_them(tmp_path: Path) -> None:
    db = tmp_path / "cases.db"
    rows = [{"id": "a", "text": "金水路和未来路交叉口的井盖没了，晚上很危险"},
            {"id": "b", "text": "金水路和未来路交叉口的井盖没了，晚上很危险"},  # the same incident: merged
            {"id": "c", "text": "小区门口的路灯坏了一个星期了，晚上很黑"}]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    done = run("batch", str(source), str(tmp_path / "out.jsonl"), "--db", str(db), "--workers", "1", "--queue-drafts")
    assert done.returncode == 0, done.stderr
    assert sorted(state for state, *_ in jobs(db).values()) == ["queued", "queued"]
    drained = run("drafter", "--db", str(db), "--config", settings_file(tmp_path / "s.json", VALID), "--drain",
                  llm="fake")
    assert drained.returncode == 0, drained.stderr
    assert sorted(jobs(db).values()) == [("done", None, 1, "fake:fake")] * 2
