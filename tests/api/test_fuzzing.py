"""Property-based fuzzing of a real `gridtriage serve` with Schemathesis, from the server's own
OpenAPI document: every operation, the JSON and the multipart report bodies, schema-valid and
schema-breaking inputs, and stateful sequences (a report's case then acted on). It fails on any 5xx,
any status code or body the document does not describe, and any export line outside its schema.

The run is bounded (a fixed seed and examples per operation) and prints its figures, which the
README's reliability section quotes. Cases, a photo and an Open311 request exist before it starts,
so that ids in paths reach real records as often as missing ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from eval.server import free_port, start_server
from tests.support.cli import run
from tests.support.photos import photo_bytes, render_sign

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ST = str(Path(sys.executable).with_name("st"))
SEED = 20261207
EXAMPLES = 150  # per operation and phase
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
          "export_lines_conform")
REPORTS = ("金水区文化路和东风路交叉口的井盖没了，晚上很危险", "德化街步行街上好多流动摊贩占道经营",
           "纬四路上的下水道堵了，污水冒出来", "惠济区天河路的路灯一到晚上就不亮")


def _seed(base: str, key: str) -> dict[str, list[str | int]]:
    """Records for the fuzzer to find: cases (one with a photo) and their ids as each path names them."""
    h = {"Authorization": f"Bearer {key}"}
    cases = [httpx.post(f"{base}/v1/reports", json={"text": t}, headers=h, timeout=60).json()["case_id"]
             for t in REPORTS]
    photo = httpx.post(f"{base}/v1/reports", headers=h, data={"text": "这里井盖缺失"}, timeout=120,
                       files=[("photos", ("sign.jpg", photo_bytes(render_sign("井盖缺失 注意安全")), "image/jpeg"))])
    assert photo.status_code == 201, photo.text
    departments = [d["id"] for d in httpx.get(f"{base}/v1/departments", headers=h).json()]
    modes = [m["id"] for m in httpx.get(f"{base}/v1/mode", headers=h).json()["modes"]]
    categories = [c["id"] for c in httpx.get(f"{base}/v1/categories", headers=h).json()]
    return {"case_ids": [*cases, photo.json()["case_id"]], "photo_ids": [photo.json()["photos"][0]["sha256"]],
            "request_ids": [str(c) for c in cases], "departments": departments, "modes": modes,
            "categories": categories}


def _config(path: Path, known: dict[str, list[str | int]]) -> Path:
    lines = []
    for name, values in known.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}"]
    lines += ["[parameters]",
              '"path.case_id" = { dictionary = "case_ids", probability = 0.5 }',
              '"path.sha256" = { dictionary = "photo_ids", probability = 0.5 }',
              '"path.request_id" = { dictionary = "request_ids", probability = 0.5 }',
              '"body.department_id" = { dictionary = "departments", probability = 0.5 }',
              '"body.changes.lead_department_id" = { dictionary = "departments", probability = 0.5 }',
              '"body.changes.category_id" = { dictionary = "categories", probability = 0.5 }',
              '"body.into" = { dictionary = "case_ids", probability = 0.5 }',
              '"body.case_ids.[*]" = { dictionary = "case_ids", probability = 0.5 }',
              '"body.mode" = { dictionary = "modes", probability = 0.5 }']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_no_input_gets_a_server_error_or_an_answer_the_document_does_not_describe(tmp_path: Path) -> None:
    db = str(tmp_path / "cases.db")
    made = run("keys", "create", "--role", "supervisor", "--name", "fuzzing", "--rate-limit", "10000000", "--db", db)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    port = free_port()
    server = start_server(db, port, log=tmp_path / "server.log")
    base = f"http://127.0.0.1:{port}"
    try:
        config = _config(tmp_path / "schemathesis.toml", _seed(base, key))
        report, har = tmp_path / "report.json", tmp_path / "requests.har"
        started = time.monotonic()
        fuzz = subprocess.run(
            [ST, "--config-file", str(config), "--no-color", "run", f"{base}/openapi.json", "--checks", CHECKS,
             "-H", f"Authorization: Bearer {key}", "--max-examples", str(EXAMPLES), "--seed", str(SEED),
             "--workers", "1", "--request-timeout", "120", "--report", "json,har",
             "--report-json-path", str(report), "--report-har-path", str(har)],
            capture_output=True, text=True, timeout=1200, cwd=tmp_path,
            env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.api.fuzz_checks", "PYTHONPATH": str(ROOT)})
        seconds = time.monotonic() - started
        operations = len([op for path in httpx.get(f"{base}/openapi.json").json()["paths"].values() for op in path])
    finally:
        server.terminate()
        server.wait(timeout=30)
    (tmp_path / "schemathesis.txt").write_text(fuzz.stdout + fuzz.stderr, encoding="utf-8")
    failures = fuzz.stdout[fuzz.stdout.find("FAILURES"):fuzz.stdout.find("SUMMARY")]
    assert fuzz.returncode == 0, (failures or fuzz.stdout)[:20000] + fuzz.stderr[-2000:]
    figures = json.loads(report.read_text(encoding="utf-8"))
    assert figures["operations"]["tested"] == operations, figures["operations"]
    assert figures["failures"] == []
    assert figures["errors"] == []
    assert figures["test_cases"]["with_failures"] == 0
    entries = json.loads(har.read_text(encoding="utf-8"))["log"]["entries"]
    multipart = [e for e in entries if e["request"]["url"].endswith("/v1/reports") and any(
        h["name"].lower() == "content-type" and h["value"].startswith("multipart/form-data")
        for h in e["request"]["headers"])]
    assert multipart, "the multipart report body was never sent"
    statuses = [e["response"]["status"] for e in entries]
    assert not [s for s in statuses if s >= 500]
    print(f"\nfuzzing: {operations} operations, {figures['test_cases']['generated']} test cases, "
          f"{len(entries)} requests ({len(multipart)} multipart reports), "
          f"{sum(200 <= s < 300 for s in statuses)} × 2xx, {sum(400 <= s < 500 for s in statuses)} × 4xx, "
          f"0 × 5xx, 0 schema violations, in {seconds:.0f} s (seed {SEED}, {EXAMPLES} examples per operation)")
