"""`gridtriage serve --workers 2`: two processes share the port and the database, each with its own
dedup index. Citizens reporting one missing manhole cover, at once and then one after another,
reach both workers and still make one case with every reporter counted, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from eval.server import free_port, start_server, wait_for_workers
from tests.support.cli import run
from tests.support.concurrently import concurrently

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.both_backends]

WORKERS = 2
REPORTS = ["金水区文化路和东风路交叉口的井盖没了，晚上很危险", "文化路东风路交叉口井盖丢了，很危险",
           "金水区文化路与东风路路口有个井盖不见了，怕有人掉下去", "文化路和东风路交叉口井盖缺失，赶紧来处理"]


@pytest.fixture
def served(database: str, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    made = run("keys", "create", "--role", "supervisor", "--name", "workers", "--rate-limit", "100000",
               "--db", database)
    assert made.returncode == 0, made.stderr
    port = free_port()
    server = start_server(database, port, ["--workers", str(WORKERS)], log=tmp_path / "server.log")
    base = f"http://127.0.0.1:{port}"
    try:
        answered = wait_for_workers(base, WORKERS)  # every worker has loaded its models
        assert answered == WORKERS, f"only {answered} worker(s) answered"
        yield base, {"Authorization": f"Bearer {made.stdout.strip()}"}
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_one_incident_reported_to_several_workers_is_one_case(served: tuple[str, dict[str, str]]) -> None:
    base, h = served
    posted = iter(REPORTS * 20)

    def post() -> dict[str, int]:
        r = httpx.post(f"{base}/v1/reports", json={"text": next(posted)}, headers=h, timeout=120)
        assert r.status_code in (200, 201), r.text
        return {"case": r.json()["case_id"], "report": r.json()["report_id"]}

    answers = concurrently(post, 8)  # at once: the workers decide one at a time, each up to date
    answers += [post() for _ in range(8)]  # one after another: each worker learns the other's case
    cases = {a["case"] for a in answers}
    assert len(cases) == 1, f"{len(cases)} cases for one incident"
    (case_id,) = cases
    case = httpx.get(f"{base}/v1/cases/{case_id}", headers=h).json()
    assert case["reporter_count"] == len(answers) == len(case["reports"])

    other = httpx.post(f"{base}/v1/reports", json={"text": "二七区德化街的垃圾桶满了没人清理"}, headers=h, timeout=120)
    assert other.json()["case_id"] != case_id
    assert httpx.put(f"{base}/v1/mode", json={"mode": "holiday", "reason": "国庆"}, headers=h).status_code == 200
    later = [httpx.post(f"{base}/v1/reports", json={"text": f"纬{n}路上的下水道堵了，污水冒出来"}, headers=h,
                        timeout=120).json() for n in range(1, 5)]
    modes = {httpx.get(f"{base}/v1/cases/{a['case_id']}", headers=h).json()["mode"] for a in later}
    assert modes == {"holiday"}, "a mode switched on one worker applies on every worker"
