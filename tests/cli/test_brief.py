"""`gridtriage brief` as an operator runs it: a subprocess on a seeded SQLite file, its clock at the
seed's moment (tests/support/briefing_seed.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.store import CaseStore
from core import clock
from tests.support.briefing_seed import NOW, seed
from tests.support.cli import EXE

pytestmark = pytest.mark.e2e

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def brief_in_process(*args: str) -> tuple[int, str, str]:
    """The command in this process (quicker than a subprocess), on the seed's clock."""
    import cli.app  # noqa: F401 - registers the commands
    from cli.common import app

    with clock.using(clock.FrozenClock(NOW)):
        result = CliRunner().invoke(app, ["brief", *args])
    return result.exit_code, result.stdout, result.stderr


def brief(*args: str) -> subprocess.CompletedProcess[str]:
    offset = (NOW - datetime.now(UTC)).total_seconds()
    return subprocess.run([EXE, "brief", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200", clock.OFFSET_ENV: repr(offset)})


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "cases.db"
    store = CaseStore.open(path)
    seed(store)
    store.close()
    return str(path)


def test_brief_writes_markdown_and_a_self_contained_html(db: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = brief("--period", "week", "--out", str(out), "--db", db)  # the last complete week: Mar 2 to 8
    assert proc.returncode == 0, proc.stderr
    stem = out / "briefing-week-2026-03-02"
    markdown = stem.with_suffix(".md").read_text(encoding="utf-8")
    page = stem.with_suffix(".html").read_text(encoding="utf-8")
    assert "专报已写入" in proc.stdout
    assert str(stem.with_suffix(".html")) in proc.stdout
    assert "新增案件4件，较上期增加2件" in markdown
    assert "| 郑州市城市管理局 | 3 | 1 | +2 | 8 | 3 | +5 |" in markdown
    assert not EXTERNAL.search(page)
    assert page.count('src="data:image/svg+xml;base64,') == 4
    assert "<td>42.9%</td>" in page
    assert "郑州市公安局交通警察支队" in page
    figures = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))["figures"]
    assert figures["volumes"]["reports"] == {"current": 11, "previous": 4, "change": 7}


def test_brief_a_day_by_date(db: str, tmp_path: Path) -> None:
    code, _, err = brief_in_process("--period", "day", "--date", "2026-03-04", "--out", str(tmp_path), "--db", db)
    assert code == 0, err
    assert "2026年3月4日（日报），新增案件1件，与上期持平" in (tmp_path / "briefing-day-2026-03-04.md").read_text(
        encoding="utf-8")


@pytest.mark.parametrize(("args", "words"), [
    (("--period", "month"), "专报周期「month」无效"),
    (("--date", "2026-02-30"), "日期「2026-02-30」无效"),
    (("--date", "2026-03-12"), "还没到"),
    (("--narrative", "poem"), "综述方式「poem」无效"),
])
def test_bad_input_is_refused_in_chinese(db: str, tmp_path: Path, args: tuple[str, ...], words: str) -> None:
    code, _, err = brief_in_process(*args, "--out", str(tmp_path / "out"), "--db", db)
    assert code != 0
    assert words in err
    assert not (tmp_path / "out").exists()


def test_a_missing_database_is_named_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.db"
    code, _, err = brief_in_process("--out", str(tmp_path / "out"), "--db", str(missing))
    assert code != 0
    assert "找不到案件数据库" in err
    assert not missing.exists()
