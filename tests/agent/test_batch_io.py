import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from agent.batch_io import read_rows

pytestmark = pytest.mark.unit


def test_jsonl_keeps_going_past_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "a", "text": "路灯不亮"}\nnot json\n\n[1, 2]\n{"text": "井盖没了"}\n', encoding="utf-8")
    rows = list(read_rows(path))
    assert [r.id for r in rows] == ["a", "2", "4", "5"]
    assert rows[0].fields is not None
    assert rows[0].fields["text"] == "路灯不亮"
    assert rows[1].error is not None
    assert "not valid JSON" in rows[1].error
    assert rows[2].error is not None
    assert "JSON object" in rows[2].error


def test_csv_and_xlsx_accept_chinese_column_names(tmp_path: Path) -> None:
    csv_path = tmp_path / "in.csv"
    csv_path.write_text("编号,留言主题,留言详情\n7,噪音,楼下广场舞太吵\n", encoding="utf-8-sig")
    [row] = list(read_rows(csv_path))
    assert row.id == "7"
    assert row.fields is not None
    assert (row.fields["title"], row.fields["text"]) == ("噪音", "楼下广场舞太吵")

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "text"])
    sheet.append(["x1", "停水了"])
    sheet.append([None, None])
    sheet.append(["x2", "暖气不热"])
    xlsx_path = tmp_path / "in.xlsx"
    book.save(xlsx_path)
    assert [(r.id, r.fields and r.fields["text"]) for r in read_rows(xlsx_path)] == [
        ("x1", "停水了"), ("x2", "暖气不热")]


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "in.txt"
    path.write_text(json.dumps({"text": "x"}), encoding="utf-8")
    with pytest.raises(ValueError, match=r"\.jsonl, \.csv or \.xlsx"):
        list(read_rows(path))
