"""`gridtriage batch` killed with SIGKILL at random points, then run again on the same file: after
every kill the database holds only whole reports (each with its case and its events), every row the
output file acknowledged is stored, and the resumed runs end with the same reports as one clean run."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.cli import EXE

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROWS = 300
KILLS = 12
DATASET = Path(__file__).resolve().parents[2] / "eval" / "datasets" / "zhengzhou_test.jsonl"


def _start(source: Path, out: Path, db: Path, *extra: str) -> subprocess.Popen[str]:
    """The batch in its own process group, so that a kill takes its worker processes with it."""
    return subprocess.Popen([EXE, "batch", str(source), str(out), "--db", str(db), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200", "GRIDTRIAGE_LLM": "none"})


def _finish(proc: subprocess.Popen[str]) -> str:
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    return stderr


def _wait_for_progress(path: Path, before: int, proc: subprocess.Popen[str], timeout_s: float = 180.0) -> None:
    """Until the batch has stored a report beyond `before` (or has ended)."""
    deadline = time.monotonic() + timeout_s
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            with sqlite3.connect(path) as db:
                if _one(db, "SELECT count(*) FROM reports") > before:
                    return
        except sqlite3.OperationalError:
            pass  # the schema is not there yet
        time.sleep(0.1)


def _one(db: sqlite3.Connection, sql: str) -> int:
    return int(db.execute(sql).fetchone()[0] or 0)


def _check_invariants(path: Path, out: Path, restarted: bool = False) -> dict[str, int]:
    """Whole reports only; every row the output file acknowledged is stored; each report has its
    batch row (unless `--restart` ingested the file again). Returns the totals."""
    if not path.exists():
        return {"reports": 0, "cases": 0, "reporters": 0}
    with sqlite3.connect(path) as db:
        if not _one(db, "SELECT count(*) FROM sqlite_master WHERE name = 'batch_rows'"):
            return {"reports": 0, "cases": 0, "reporters": 0}  # killed while the schema was created
        assert _one(db, "SELECT count(*) FROM reports WHERE case_id IS NULL") == 0, "a report without a case"
        assert _one(db, """SELECT count(*) FROM reports r WHERE NOT EXISTS (SELECT 1 FROM audit_log a
                           WHERE a.report_id = r.id AND a.event = 'report.received')""") == 0
        assert _one(db, """SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM reports r
                           JOIN audit_log a ON a.report_id = r.id AND a.event = 'report.received'
                           WHERE r.case_id = c.id)""") == 0, "a case without its report.received event"
        assert _one(db, """SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM audit_log a
                           WHERE a.case_id = c.id AND a.event = 'case.created')""") == 0
        assert _one(db, """SELECT count(*) FROM cases c WHERE c.reporter_count !=
                           (SELECT count(*) FROM reports r WHERE r.case_id = c.id)""") == 0, \
            "a case whose reporter count disagrees with its reports"
        rows = _one(db, "SELECT count(*) FROM batch_rows")
        assert _one(db, "SELECT count(DISTINCT report_id) FROM batch_rows") == rows
        assert _one(db, "SELECT count(DISTINCT row_id) FROM batch_rows") == rows, "a row stored twice"
        stored = {row for (row,) in db.execute("SELECT row_id FROM batch_rows")}
        if not restarted:
            assert len(stored) == _one(db, "SELECT count(*) FROM reports"), "a stored report without its batch row"
        totals = {"reports": _one(db, "SELECT count(*) FROM reports"), "cases": _one(db, "SELECT count(*) FROM cases"),
                  "reporters": _one(db, "SELECT sum(reporter_count) FROM cases")}
    acknowledged = set()
    if out.exists():
        for line in out.read_text(encoding="utf-8").splitlines():
            try:
                answer = json.loads(line)
            except json.JSONDecodeError:
                continue  # the line being written when the process was killed
            if "case_id" in answer:
                acknowledged.add(answer["id"])
    assert acknowledged <= stored, f"acknowledged rows not stored: {sorted(acknowledged - stored)[:5]}"
    return totals


def test_killed_batches_leave_whole_reports_and_resume_to_the_clean_result(tmp_path: Path) -> None:
    source = tmp_path / "rows.jsonl"
    lines = DATASET.read_text(encoding="utf-8").splitlines()[:ROWS]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")

    clean_db = tmp_path / "clean.db"
    _finish(_start(source, tmp_path / "clean.jsonl", clean_db))
    clean = _check_invariants(clean_db, tmp_path / "clean.jsonl")
    assert clean["reports"] > ROWS - 10  # a few rows of the dataset are refused on purpose

    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    db, out = tmp_path / "crashed.db", tmp_path / "crashed.jsonl"
    killed_mid_run = 0
    for _ in range(KILLS):
        before = _check_invariants(db, out)["reports"]
        proc = _start(source, out, db)
        _wait_for_progress(db, before, proc)  # the models load first: kill while reports are stored
        time.sleep(rng.uniform(0.0, 1.5))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
        after = _check_invariants(db, out)
        assert after["reports"] <= clean["reports"], f"seed {seed}: rows ingested twice"
        killed_mid_run += 0 < after["reports"] - before < clean["reports"]
    assert killed_mid_run >= 2, f"seed {seed}: too few kills landed while reports were being stored"

    stored = _check_invariants(db, out)["reports"]
    stderr = _finish(_start(source, out, db))
    if stored > 0:
        assert f"已有 {stored} 行入库，本次跳过" in stderr, stderr
    assert _check_invariants(db, out) == clean, f"seed {seed}"

    again = _finish(_start(source, out, db))
    assert f"已有 {clean['reports']} 行入库，本次跳过，只处理其余 {ROWS - clean['reports']} 行" in again
    assert _check_invariants(db, out) == clean

    _finish(_start(source, out, db, "--restart"))
    assert _check_invariants(db, out, restarted=True)["reports"] == 2 * clean["reports"]
    with sqlite3.connect(db) as conn:
        assert _one(conn, "SELECT count(*) FROM batch_rows") == clean["reports"]
