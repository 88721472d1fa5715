"""`gridtriage triage` (one report) and `gridtriage batch` (a file of them), and how a drafted case is printed."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from cli.common import (
    ConfigOpt,
    DbOpt,
    EmbedderOpt,
    KbOpt,
    LlmOpt,
    ModelOpt,
    ModeOpt,
    app,
    err,
    fail,
    settings_from,
    warm_pipeline,
)
from core.messages import Explained, lookup
from core.photo_types import PhotoIn
from core.types import ReportIn

if TYPE_CHECKING:
    from agent.batch_io import Row
    from agent.models import Models
    from classifiers.labels import LabelModel
    from core.settings import Settings


@app.command()
def triage(
    text: Annotated[str, typer.Argument(help="The report text; '-' reads standard input; may be left out "
                                        "when --photo is given.")] = "",
    photo: Annotated[list[Path] | None, typer.Option(
        "--photo", help="A photo of the problem (JPEG, PNG or WebP); repeat for up to 6.")] = None,
    title: Annotated[str | None, typer.Option(help="Optional title of the report.")] = None,
    address: Annotated[str | None, typer.Option(help="Address given with the report.")] = None,
    channel: Annotated[str, typer.Option(help="Intake channel.")] = "cli",
    as_json: Annotated[bool, typer.Option("--json", help="Print the draft as JSON.")] = False,
    kb: KbOpt = None, db: DbOpt = None, config: ConfigOpt = None, mode: ModeOpt = None,
    embedder: EmbedderOpt = None, model: ModelOpt = None, llm: LlmOpt = None,
) -> None:
    """Triage one report and print the drafted case."""
    from agent.intake import ReportRejected
    from agent.output import public_case

    if text == "-":
        text = sys.stdin.read()
    photos = tuple(_read_photo(path) for path in photo or [])
    if not text.strip() and not photos:
        fail("the report text is empty: give the text (or '-' to read it from standard input), "
              "or at least one --photo")
    pipeline = warm_pipeline(settings_from(config, kb, db, mode, embedder, model, llm))
    try:
        result = pipeline.triage(ReportIn(text=text, title=title, address=address, channel=channel,
                                          photos=photos))
    except ReportRejected as exc:
        fail(str(exc))
    case = public_case(result)
    if as_json:
        typer.echo(json.dumps(case, ensure_ascii=False, indent=2))
    else:
        _print_case(case)


def _read_photo(path: Path) -> PhotoIn:
    try:
        return PhotoIn(data=path.read_bytes(), filename=path.name)
    except OSError as exc:
        fail(f"cannot read photo {path}: {exc.strerror or exc}")


def _row_error(row_id: str, error: Exception) -> dict[str, Any]:
    """A batch row that could not be triaged: the reason, and its catalogue code when it has one."""
    code = error.code if isinstance(error, Explained) else None
    return {"id": row_id, "error": str(error), **({"code": code} if code else {})}


def _print_case(case: dict[str, Any]) -> None:
    out = Console()
    table = Table(show_header=False, box=None, padding=(0, 1))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(overflow="fold")
    dup = ""
    if case["duplicate_of"]:
        dup = f"（重复：已并入案件 {case['duplicate_of']}，共 {case['reporter_count']} 人反映）"
    table.add_row("案件", f"#{case['case_id']}{dup}")
    table.add_row("标题", case["title"])
    cat = case["category"]
    alts = "、".join(f"{a['name']} {a['probability']:.2f}" for a in case["alternatives"][:3])
    table.add_row("分类", f"{cat['parent_name']} › {cat['name']}  置信度 {case['confidence']:.2f}（备选：{alts}）")
    priority = lookup(f"priority.{case['priority']}")
    table.add_row("紧急", f"{'是' if case['urgent'] else '否'}（{priority}；{case['urgency_reason']['text']}）")
    if case["emergency"]:
        calls = "、".join(f"{c['name']} {c['number']}" for c in case["emergency"]["call"])
        table.add_row("应急", f"立即转接：{calls}")
        for line in case["emergency"]["script"]:
            table.add_row("", f"· {line}")
    table.add_row("地点", case["place"]["text"])
    grid = _grid_line(case["place"])
    if grid:
        table.add_row(lookup("place.grid"), grid)
    for i, photo in enumerate(case["photos"], 1):
        seen = [f"{photo['width']}×{photo['height']}"]
        if photo["ocr_text"]:
            seen.append(f"文字：{photo['ocr_text']}")
        if photo["taken_at"]:
            seen.append(f"拍摄于 {photo['taken_at']}")
        if photo["lat"] is not None:
            seen.append(f"位置 {photo['lat']:.5f}, {photo['lon']:.5f}")
        if photo["scene"] and photo["scene"]["category_id"]:
            seen.append(f"画面：{photo['scene']['category_id']}（{photo['scene']['backend']}）")
        table.add_row(f"照片{i}", "；".join(seen))
    for d in case["departments"]:
        role = "主办" if d["role"] == "lead" else "协办"
        clauses = "；".join(f"[{c['id']}] {c['text']}" for c in d["clauses"][:1])
        table.add_row(role, f"{d['name']}（{d['score']:.2f}）  依据：{clauses}")
    table.add_row("摘要", case["summary"])
    if case["suggested_steps"]:
        table.add_row("建议", "；".join(case["suggested_steps"]))
    table.add_row("诉求", case["request"])
    table.add_row("时限", case["deadline"])
    provider, _, model = case["drafter"].partition(":")
    drafter = lookup(f"drafter.{provider}", default=case["drafter"], model=model)
    drafter += f"（改用模板：{case['draft_fallback']}）" if case["draft_fallback"] else ""
    table.add_row("起草", drafter)
    review = "；".join(r["text"] for r in case["review_reasons"]) if case["needs_review"] else "可自动派单"
    table.add_row("复核", review)
    out.print(table)


def _grid_line(place: dict[str, Any]) -> str | None:
    """The place's grid and who is on duty there; on a border, the grids to handle it jointly; with
    no usable point, the street's grids."""
    def named(g: dict[str, Any]) -> str:
        return f"{g['name']}（{lookup('grid.level.' + g['level'])}）"

    if place["grid_border"]:
        return lookup("grid.border", grids="、".join(named(g) for g in place["grid_candidates"]))
    if place["grid"]:
        members = "、".join(" ".join(x for x in (m["role"], m["name"], m["duty_hours"], m["contact"]) if x)
                           for m in place["grid"]["members"])
        return named(place["grid"]) + ("；" + lookup("grid.members", members=members) if members else "")
    if place["grid_candidates"]:
        return lookup("grid.candidates", grids="、".join(named(g) for g in place["grid_candidates"]))
    return None


@app.command()
def batch(
    input_file: Annotated[Path, typer.Argument(help="JSONL, CSV or XLSX with `id` and `text` columns.")],
    output_file: Annotated[Path, typer.Argument(help="JSONL output, one line per input row, in order.")],
    workers: Annotated[int, typer.Option(help="Processes that understand reports in parallel.")] = 2,
    restart: Annotated[bool, typer.Option(
        "--restart", help="Ingest every row again, even rows an earlier run of this file stored.")] = False,
    kb: KbOpt = None, db: DbOpt = None, config: ConfigOpt = None, mode: ModeOpt = None,
    embedder: EmbedderOpt = None, model: ModelOpt = None, llm: LlmOpt = None,
    queue_drafts: Annotated[bool, typer.Option(
        "--queue-drafts", help="Template drafts now, and every new case queued for the drafter "
                               "processes (`gridtriage drafter`) to draft with the LLM.")] = False,
) -> None:
    """Triage every row of a file; bad rows get an `error` line and the batch goes on. A rerun of the
    same file (by SHA-256) skips the rows already stored, so an interrupted batch resumes; the output
    file then has lines for the rows triaged in this run. Drafts come from templates unless an LLM
    is asked for (`--llm`, GRIDTRIAGE_LLM or a settings file): the LLM takes seconds per new case,
    so for a large file `--queue-drafts` leaves that to drafter processes. With `--model DIR` trained
    on another label set than the knowledge base's categories, each row gets that model's `label`
    and its `probability` instead, and nothing is triaged, routed or stored."""
    from agent.batch_io import read_rows
    from agent.output import public_case

    if not input_file.is_file():
        fail(f"input file {input_file} does not exist")
    try:
        rows = list(read_rows(input_file))
    except (ValueError, OSError) as exc:
        fail(str(exc))
    asked = (llm or config or os.environ.get("GRIDTRIAGE_LLM")) and not queue_drafts
    settings = settings_from(config, kb, db, mode, embedder, model, llm if asked else "none")
    models = None
    if settings.model_dir:
        models, labeller = _load_models(settings)
        if labeller is not None:
            _label_rows(rows, labeller, output_file)
            return
    pipeline = warm_pipeline(settings, models)
    pipeline.queue_drafts = queue_drafts
    digest = hashlib.sha256(input_file.read_bytes()).hexdigest()
    if restart:
        pipeline.store.forget_batch(digest)
    stored = pipeline.store.batch_rows_stored(digest)
    keys = _row_keys(rows)
    if stored:
        kept = [(row, key) for row, key in zip(rows, keys, strict=True) if key not in stored]
        err.print(lookup("batch.resumed", skipped=len(rows) - len(kept), remaining=len(kept),
                         digest=digest[:12]), highlight=False)
        rows, keys = [row for row, _ in kept], [key for _, key in kept]
    reports: list[ReportIn | Exception] = []
    for row in rows:
        if row.fields is None:
            reports.append(ValueError(row.error))
            continue
        try:
            reports.append(_report_from_row(row.fields))
        except (ValidationError, ValueError) as exc:
            reports.append(ValueError(str(exc)))
    errors = 0
    started = time.perf_counter()
    output_file.parent.mkdir(parents=True, exist_ok=True)
    columns = (TextColumn("triage"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with output_file.open("w", encoding="utf-8") as out, \
            Progress(*columns, console=err, refresh_per_second=2) as progress:
        task = progress.add_task("triage", total=len(rows))
        for number, (row, result) in enumerate(zip(rows, pipeline.triage_many(
                reports, workers=workers, batch_rows=[(digest, key) for key in keys]), strict=True)):
            line = _row_error(row.id, result) if isinstance(result, Exception) else {
                "id": row.id, **public_case(result)}
            errors += "error" in line
            out.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
            if number % 50 == 49:  # every case is in the store already; the file catches up often
                out.flush()
            progress.advance(task)
    elapsed = time.perf_counter() - started
    err.print(f"{len(rows)} rows, {len(rows) - errors} triaged, {errors} errors → {output_file} "
              f"in {elapsed:.1f} s after start-up ({len(rows) / max(elapsed, 1e-9):.1f} rows/s)")


def _load_models(settings: Settings) -> tuple[Models, LabelModel | None]:
    from agent.models import Models
    from knowledge.reading import KBError

    try:
        return Models.load_for_model(settings)
    except (ValueError, KBError) as exc:
        fail(str(exc))


def _label_rows(rows: list[Row], labeller: LabelModel, output_file: Path) -> None:
    """A model of another label set than the knowledge base's categories: each row's label and its
    probability (and the next two labels), nothing triaged, routed or stored."""
    written = errors = 0
    output_file.parent.mkdir(parents=True, exist_ok=True)
    with output_file.open("w", encoding="utf-8") as out:
        for start in range(0, len(rows), 256):
            chunk = [(row, _row_text(row)) for row in rows[start:start + 256]]
            readable = [text for _, text in chunk if text]
            found = iter(labeller.predict([labeller.prepare(*text) for text in readable]))
            for row, text in chunk:
                if text is None:
                    line: dict[str, Any] = _row_error(row.id, ValueError(row.error or "the text is empty"))
                    errors += 1
                else:
                    got = next(found)
                    line = {"id": row.id, "label": got.label, "probability": got.probability,
                            "alternatives": [{"label": label, "probability": p} for label, p in got.ranked[1:3]]}
                    written += 1
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
    err.print(lookup("batch.labelled", rows=len(rows), labelled=written, errors=errors, out=str(output_file),
                     model=str(labeller.model_dir)), highlight=False)


def _row_text(row: Row) -> tuple[str, str | None] | None:
    """A row's text and title, or None when it has no text to label."""
    if row.fields is None or not str(row.fields.get("text") or "").strip():
        return None
    title = row.fields.get("title")
    return str(row.fields["text"]), None if title is None else str(title)


def _row_keys(rows: list[Row]) -> list[str]:
    """The key a row is stored under: its id, and for a repeated id its occurrence too ("7#2")."""
    seen: dict[str, int] = {}
    keys = []
    for row in rows:
        seen[row.id] = seen.get(row.id, 0) + 1
        keys.append(row.id if seen[row.id] == 1 else f"{row.id}#{seen[row.id]}")
    return keys


def _report_from_row(fields: dict[str, Any]) -> ReportIn:
    def when(value: Any) -> datetime | None:
        if value in (None, ""):
            return None
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(f"time {value!r} is not an ISO date-time such as 2026-11-22T08:30:00") from None

    def number(name: str) -> float | None:
        value = fields.get(name)
        return None if value in (None, "") else float(value)

    return ReportIn(
        text=fields["text"], title=fields.get("title"), channel=str(fields.get("channel") or "batch"),
        reported_at=when(fields.get("time") or fields.get("reported_at")),
        address=fields.get("address") or None, lat=number("lat"), lon=number("lon"),
        external_id=str(fields["id"]) if fields.get("id") is not None else None,
    )
