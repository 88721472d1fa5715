"""The `gridtriage` command line as an operator runs it: a real subprocess, a real SQLite file."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from openpyxl import Workbook

from core import clock
from core.settings import DEFAULT_KB
from tests.support.cli import run

pytestmark = pytest.mark.e2e


@pytest.mark.slow
def test_triage_json_has_the_documented_fields(tmp_path: Path) -> None:
    db = str(tmp_path / "cases.db")
    proc = run("triage", "德化街步行街上好多流动摊贩占道经营，行人都走不过去了", "--json", "--db", db)
    assert proc.returncode == 0, proc.stderr
    case = json.loads(proc.stdout)
    for key in ("case_id", "duplicate_of", "category", "urgent", "priority", "place", "departments",
                "title", "summary", "deadline", "confidence"):
        assert key in case
    assert set(case["category"]) >= {"id", "name", "parent"}
    lead = [d for d in case["departments"] if d["role"] == "lead"]
    assert lead[0]["name"] == "郑州市城市管理局"
    assert lead[0]["clauses"]
    assert {"id", "text"} <= set(lead[0]["clauses"][0])
    assert case["place"]["district"] == "二七区"
    assert 0 < case["confidence"] <= 1


@pytest.mark.slow
def test_triage_human_readable_and_duplicate_across_runs(tmp_path: Path) -> None:
    db = str(tmp_path / "cases.db")
    first = run("triage", "紫荆山公园南门的公厕好几天没人打扫了，又脏又臭", "--db", db)
    assert first.returncode == 0, first.stderr
    assert "案件" in first.stdout
    assert "主办" in first.stdout
    second = run("triage", "紫荆山公园南门那个公共厕所太脏太臭了，一直没人保洁", "--db", db, "--json")
    assert json.loads(second.stdout)["duplicate_of"] is not None


@pytest.mark.slow
def test_triage_reads_standard_input(tmp_path: Path) -> None:
    proc = run("triage", "-", "--json", "--db", str(tmp_path / "c.db"), stdin="我们小区停水一整天了")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["departments"][0]["id"] == "water-supply"


@pytest.mark.parametrize(("text", "message"), [  # a blank report is refused before the models load
    ("   ", "empty"), pytest.param("？？？", "没有可读的文字", marks=pytest.mark.slow),
    pytest.param("qwertyuiop asdf", "乱码", marks=pytest.mark.slow)])
def test_bad_reports_fail_with_a_clear_message(tmp_path: Path, text: str, message: str) -> None:
    proc = run("triage", text, "--db", str(tmp_path / "c.db"))
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_unknown_embedder_and_missing_kb_are_clear_errors(tmp_path: Path) -> None:
    proc = run("triage", "路灯不亮", "--embedder", "nope", "--db", str(tmp_path / "c.db"))
    assert proc.returncode == 2
    assert "unknown embedder backend 'nope'" in proc.stderr
    proc = run("triage", "路灯不亮", "--kb", str(tmp_path / "nokb"), "--db", str(tmp_path / "c.db"))
    assert proc.returncode == 2
    assert "is not a directory" in proc.stderr


@pytest.mark.slow
def test_batch_jsonl_keeps_order_ids_errors_and_merges_duplicates(tmp_path: Path) -> None:
    # r1 has no time (it is stamped with the clock's now); r3 was reported an hour earlier, written
    # as the city's wall-clock time without an offset, so the two fall inside the dedup window.
    an_hour_ago = (clock.now() - timedelta(hours=1)).astimezone(ZoneInfo("Asia/Shanghai"))
    r3_time = an_hour_ago.replace(tzinfo=None).isoformat(timespec="seconds")
    rows = [
        {"id": "r1", "text": "文化路和东风路交叉口的井盖没了，很危险"},
        {"id": "r2", "text": ""},
        {"id": "r3", "text": "东风路文化路路口井盖丢了，晚上看不清容易掉进去", "time": r3_time},
        {"id": "r4", "text": "我们小区停水了"},
        {"id": "r5", "text": "航海路上路灯不亮", "time": "yesterday"},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\nnot json\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    proc = run("batch", str(source), str(out), "--db", str(tmp_path / "c.db"))
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["r1", "r2", "r3", "r4", "r5", "6"]
    assert lines[1]["code"] == "report.empty"
    assert "诉求内容为空" in lines[1]["error"]
    assert lines[2]["duplicate_of"] == lines[0]["case_id"]
    assert lines[2]["reporter_count"] == 2
    assert "ISO date-time" in lines[4]["error"]
    assert "not valid JSON" in lines[5]["error"]
    assert "6 rows, 3 triaged, 3 errors" in proc.stderr


@pytest.mark.slow
def test_batch_reads_csv_and_xlsx(tmp_path: Path) -> None:
    csv_file = tmp_path / "in.csv"
    csv_file.write_text("id,text\nc1,楼下广场舞音响太吵了\nc2,暖气不热\n", encoding="utf-8")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["编号", "留言详情"])
    sheet.append(["x1", "小区门口垃圾堆了好几天没人清运"])
    xlsx_file = tmp_path / "in.xlsx"
    book.save(xlsx_file)
    for source in (csv_file, xlsx_file):
        out = tmp_path / f"{source.suffix[1:]}.jsonl"
        proc = run("batch", str(source), str(out), "--db", str(tmp_path / "c.db"))
        assert proc.returncode == 0, proc.stderr
        lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert all("case_id" in line for line in lines)
    csv_lines = (tmp_path / "csv.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["id"] for x in csv_lines] == ["c1", "c2"]


def test_kb_check_passes_on_the_default_and_names_problems_in_a_broken_copy(tmp_path: Path) -> None:
    ok = run("kb", "check", str(DEFAULT_KB))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("ok:")
    broken = tmp_path / "kb"
    shutil.copytree(DEFAULT_KB, broken)
    taxonomy = yaml.safe_load((broken / "taxonomy.yaml").read_text(encoding="utf-8"))
    taxonomy["categories"][0]["children"][0]["lead"] = ["cityguard"]
    (broken / "taxonomy.yaml").write_text(yaml.safe_dump(taxonomy, allow_unicode=True), encoding="utf-8")
    (broken / "kb.yaml").unlink()
    proc = run("kb", "check", str(broken))
    assert proc.returncode == 1
    assert "taxonomy.yaml: category" in proc.stderr
    assert "unknown department 'cityguard'" in proc.stderr
    assert "kb.yaml: (file): missing" in proc.stderr


@pytest.mark.slow
def test_triage_drafts_with_the_local_model_by_default(tmp_path: Path) -> None:
    from tests.support.llm import MISSING

    if MISSING:
        pytest.skip(MISSING)
    proc = run("triage", "桐柏路上有个井盖碎了一半，小孩差点掉进去", "--json", "--db", str(tmp_path / "c.db"), llm="")
    assert proc.returncode == 0, proc.stderr
    case = json.loads(proc.stdout)
    assert case["drafter"].startswith("llamacpp:"), case["draft_fallback"]
    assert case["title"]
    assert case["rationale"]
    assert case["cited_clause_ids"]


@pytest.mark.slow
def test_llm_none_drafts_from_templates(tmp_path: Path) -> None:
    proc = run("triage", "桐柏路上有个井盖碎了一半", "--llm", "none", "--db", str(tmp_path / "c.db"), llm="llamacpp")
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"起草\s+模板起草", proc.stdout), proc.stdout


@pytest.mark.slow
def test_a_misconfigured_llm_is_a_clear_error(tmp_path: Path) -> None:
    proc = run("triage", "桐柏路上有个井盖碎了一半", "--db", str(tmp_path / "c.db"), llm="openai")
    assert proc.returncode == 2
    assert "needs a base URL" in proc.stderr
    assert "GRIDTRIAGE_LLM_BASE_URL" in proc.stderr
    proc = run("triage", "井盖碎了", "--llm", "gpt", "--db", str(tmp_path / "c.db"))
    assert proc.returncode == 2
    assert "llm.provider" in proc.stderr


@pytest.mark.slow
def test_triage_a_photo_only_report_from_the_command_line(tmp_path: Path) -> None:
    from tests.support.photos import photo_bytes, render_sign

    sign = tmp_path / "sign.jpg"
    sign.write_bytes(photo_bytes(render_sign("井盖缺失 注意安全"), exif_time=datetime(2026, 11, 20, 8, 30)))
    proc = run("triage", "--photo", str(sign), "--json", "--db", str(tmp_path / "c.db"))
    assert proc.returncode == 0, proc.stderr
    case = json.loads(proc.stdout)
    assert "井盖" in case["photos"][0]["ocr_text"]
    assert case["photos"][0]["filename"] == "sign.jpg"
    assert case["photos"][0]["taken_at"].startswith("2026-11-20T08:30:00+08:00")
    assert "manhole" in case["category"]["id"]
    assert list((tmp_path / "photos").rglob("*.thumb.jpg")), "the photo store sits beside the database"
    human = run("triage", "--photo", str(sign), "--db", str(tmp_path / "c.db"))
    assert "照片1" in human.stdout
    assert "井盖" in human.stdout
    missing = run("triage", "--photo", str(tmp_path / "nope.jpg"), "--db", str(tmp_path / "c.db"))
    assert missing.returncode == 2
    assert "cannot read photo" in missing.stderr


@pytest.mark.slow
def test_a_batch_drafts_from_templates_unless_an_llm_is_asked_for(tmp_path: Path) -> None:
    """Bulk imports never wait seconds per case on the LLM by default (no --llm, no GRIDTRIAGE_LLM)."""
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "text": "桐柏路上有个井盖碎了一半"}, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    proc = run("batch", str(source), str(tmp_path / "out.jsonl"), "--db", str(tmp_path / "c.db"), llm="")
    assert proc.returncode == 0, proc.stderr
    (line,) = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert line["drafter"] == "template", line["drafter"]
    assert line["draft_fallback"] is None
