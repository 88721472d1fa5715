"""Reads batch input (JSON Lines, CSV, XLSX) as rows with an id, never stopping at a bad row."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TEXT_FIELDS = ("text", "content", "留言详情", "内容", "诉求内容")
TITLE_FIELDS = ("title", "留言主题", "标题")
ID_FIELDS = ("id", "编号", "留言编号")


@dataclass(frozen=True)
class Row:
    id: str
    fields: dict[str, Any] | None
    error: str | None = None


def _pick(fields: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = fields.get(name)
        if value not in (None, ""):
            return value
    return None


def normalise_row(number: int, fields: dict[str, Any]) -> Row:
    row_id = _pick(fields, ID_FIELDS)
    row_id = str(row_id) if row_id is not None else str(number)
    text = _pick(fields, TEXT_FIELDS)
    out = dict(fields)
    out["text"] = "" if text is None else str(text)
    title = _pick(fields, TITLE_FIELDS)
    out["title"] = None if title is None else str(title)
    return Row(row_id, out)


def read_rows(path: str | Path) -> Iterator[Row]:
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        yield from _jsonl(file)
    elif suffix == ".csv":
        with file.open(encoding="utf-8-sig", newline="") as handle:
            for i, fields in enumerate(csv.DictReader(handle), start=1):
                yield normalise_row(i, dict(fields))
    elif suffix in (".xlsx", ".xlsm"):
        yield from _xlsx(file)
    else:
        raise ValueError(f"cannot read {file.name}: give a .jsonl, .csv or .xlsx file")


def _jsonl(file: Path) -> Iterator[Row]:
    with file.open(encoding="utf-8-sig") as handle:
        for i, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                fields = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Row(str(i), None, f"line {i} is not valid JSON: {exc.msg}")
                continue
            if not isinstance(fields, dict):
                yield Row(str(i), None, f"line {i} must be a JSON object with a `text` field")
                continue
            yield normalise_row(i, fields)


def _xlsx(file: Path) -> Iterator[Row]:
    from openpyxl import load_workbook

    workbook = load_workbook(file, read_only=True, data_only=True)
    try:
        rows = workbook.active.iter_rows(values_only=True) if workbook.active else iter(())
        header = next(rows, None)
        if header is None:
            return
        names = [str(h).strip() if h is not None else f"column{i}" for i, h in enumerate(header)]
        for i, values in enumerate(rows, start=1):
            if values is None or all(v is None for v in values):
                continue
            yield normalise_row(i, dict(zip(names, values, strict=False)))
    finally:
        workbook.close()
