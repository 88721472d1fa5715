"""The `gridtriage` command line."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from agent.batch_io import read_rows
from agent.intake import ReportRejected
from agent.messages import lookup
from agent.output import public_case
from agent.pipeline import TriagePipeline
from agent.settings import Settings
from agent.types import PhotoIn, ReportIn
from knowledge.loader import KBError, check_kb, load_kb

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="GridTriage: triage citizen reports into drafted cases.")
kb_app = typer.Typer(no_args_is_help=True, help="Knowledge-base tools.")
app.add_typer(kb_app, name="kb")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks that print measured figures.")
app.add_typer(bench_app, name="bench")
keys_app = typer.Typer(no_args_is_help=True, help="API keys.")
app.add_typer(keys_app, name="keys")

KbOpt = Annotated[str | None, typer.Option("--kb", help="Knowledge-base folder (default: bundled Zhengzhou).")]
DbOpt = Annotated[str | None, typer.Option("--db", help="Case database: a SQLite path or an SQLAlchemy URL.")]
ConfigOpt = Annotated[str | None, typer.Option("--config", help="JSON settings file.")]
LlmOpt = Annotated[str | None, typer.Option(
    "--llm", help="Case drafter: llamacpp (local model, the default), openai (an OpenAI-compatible endpoint), "
                  "none (templates, no model).")]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Classifier directory made by `gridtriage train`.")]
ModeOpt = Annotated[str | None, typer.Option("--mode", help="City mode: normal, holiday, major-event, emergency.")]
EmbedderOpt = Annotated[
    str | None, typer.Option("--embedder", help="Embedder backend: use, e5, sentence-transformers.")
]

err = Console(stderr=True)


def _settings(config: str | None, kb: str | None, db: str | None, mode: str | None,
              embedder: str | None, model: str | None = None, llm: str | None = None) -> Settings:
    overrides: dict[str, Any] = {"kb_dir": kb, "db": db, "mode": mode, "model_dir": model}
    if embedder:
        overrides["embedder"] = {"backend": embedder}
    if llm:
        overrides["llm"] = {"provider": llm}
    try:
        return Settings.load(config, **overrides)
    except (ValidationError, ValueError) as exc:
        _fail(f"bad settings: {exc}")


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def _pipeline(settings: Settings) -> TriagePipeline:
    pipeline = TriagePipeline(settings)
    try:
        pipeline.warm_up()
    except KBError as exc:
        _fail(str(exc))
    except (ValueError, ImportError) as exc:
        _fail(str(exc))
    return pipeline


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
    if text == "-":
        text = sys.stdin.read()
    photos = tuple(_read_photo(path) for path in photo or [])
    if not text.strip() and not photos:
        _fail("the report text is empty: give the text (or '-' to read it from standard input), "
              "or at least one --photo")
    pipeline = _pipeline(_settings(config, kb, db, mode, embedder, model, llm))
    try:
        result = pipeline.triage(ReportIn(text=text, title=title, address=address, channel=channel,
                                          photos=photos))
    except ReportRejected as exc:
        _fail(str(exc))
    case = public_case(result)
    if as_json:
        typer.echo(json.dumps(case, ensure_ascii=False, indent=2))
    else:
        _print_case(case)


def _read_photo(path: Path) -> PhotoIn:
    try:
        return PhotoIn(data=path.read_bytes(), filename=path.name)
    except OSError as exc:
        _fail(f"cannot read photo {path}: {exc.strerror or exc}")


def _row_error(row_id: str, error: Exception) -> dict[str, Any]:
    """A batch row that could not be triaged: the reason, and its catalogue code when it has one."""
    code = error.code if isinstance(error, ReportRejected) else None
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


@app.command()
def batch(
    input_file: Annotated[Path, typer.Argument(help="JSONL, CSV or XLSX with `id` and `text` columns.")],
    output_file: Annotated[Path, typer.Argument(help="JSONL output, one line per input row, in order.")],
    workers: Annotated[int, typer.Option(help="Processes that understand reports in parallel.")] = 2,
    kb: KbOpt = None, db: DbOpt = None, config: ConfigOpt = None, mode: ModeOpt = None,
    embedder: EmbedderOpt = None, model: ModelOpt = None, llm: LlmOpt = None,
) -> None:
    """Triage every row of a file; bad rows get an `error` line and the batch goes on. Drafting with
    the local LLM takes seconds per new case: use --llm none for bulk imports."""
    if not input_file.is_file():
        _fail(f"input file {input_file} does not exist")
    try:
        rows = list(read_rows(input_file))
    except (ValueError, OSError) as exc:
        _fail(str(exc))
    pipeline = _pipeline(_settings(config, kb, db, mode, embedder, model, llm))
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
        for number, (row, result) in enumerate(zip(rows, pipeline.triage_many(reports, workers=workers),
                                                   strict=True)):
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


@kb_app.command("check")
def kb_check(directory: Annotated[Path, typer.Argument(help="Knowledge-base folder to check.")]) -> None:
    """Validate a knowledge base; every problem names the file, the entry and what is wrong."""
    problems = check_kb(directory)
    if problems:
        for p in problems:
            err.print(f"[red]✗[/] {p}", highlight=False)
        _fail(f"{len(problems)} problem(s) in {directory}", code=1)
    kb = load_kb(directory)
    typer.echo(
        f"ok: {kb.meta.name} — {len(kb.departments)} departments, {len(kb.clauses)} duty clauses, "
        f"{len(kb.categories)} categories with {len(kb.leaves)} leaves, {len(kb.districts)} districts, "
        f"{len(kb.streets)} streets, {len(kb.landmarks)} landmarks, {len(kb.roads)} roads, "
        f"{len(kb.policy.modes)} modes"
    )


def _print_figures(title: str, rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(rows if len(rows) > 1 else rows[0], ensure_ascii=False, indent=2))
        return
    table = Table(title=title)
    for key in rows[0]:
        table.add_column(key)
    for row in rows:
        table.add_row(*(json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else str(v) for v in row.values()))
    Console(width=200).print(table)


@bench_app.command("triage")
def bench_triage_cmd(
    reports: Annotated[int, typer.Option(help="Reports to triage after warm-up.")] = 1000,
    startup: Annotated[bool, typer.Option(help="Also measure cold and warm start-up.")] = True,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    kb: KbOpt = None, config: ConfigOpt = None, embedder: EmbedderOpt = None,
) -> None:
    """Per-report latency (p50/p95, per stage), batch throughput and start-up time, without LLM."""
    from eval.bench import bench_batch, bench_startup, bench_triage

    settings = _settings(config, kb, None, None, embedder, llm="none")
    figures = bench_triage(settings, reports=reports)
    figures.update(bench_batch(settings, reports=reports))
    if startup:
        figures.update(bench_startup(settings))
    _print_figures("triage benchmark", [figures], as_json)


@bench_app.command("drafting")
def bench_drafting_cmd(
    llm: Annotated[list[str] | None, typer.Option("--llm", help="Providers side by side (default: llamacpp, none).")]
    = None,
    dataset: Annotated[str, typer.Option(help="Labelled dataset: a bundled name or a JSONL path.")] = "zhengzhou_test",
    reports: Annotated[int, typer.Option(help="Reports drafted per provider (the first N of the dataset).")] = 40,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    kb: KbOpt = None, config: ConfigOpt = None,
) -> None:
    """Model load time, draft latency, tokens/s and draft quality for each LLM provider."""
    from agent.llm import LLMUnavailable
    from eval.drafting_bench import bench_drafting

    settings = _settings(config, kb, None, None, None)
    try:
        rows = bench_drafting(settings, dataset, llm or ["llamacpp", "none"], reports)
    except (LLMUnavailable, ValueError) as exc:
        _fail(str(exc))
    _print_figures("drafting benchmark", rows, as_json)


@bench_app.command("api")
def bench_api_cmd(
    requests: Annotated[int, typer.Option(help="POST /v1/reports requests in all.")] = 5000,
    concurrency: Annotated[int, typer.Option(help="Clients posting at the same time.")] = 20,
    dataset: Annotated[str | None, typer.Option(help="Post this dataset's texts (default: real Teddy messages).")]
    = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Latency and throughput of a real `gridtriage serve` process under concurrent clients (no LLM)."""
    from eval.api_bench import bench_api

    settings = _settings(None, None, None, None, None)
    _print_figures("API benchmark", [bench_api(settings, requests, concurrency, dataset)], as_json)


@bench_app.command("photos")
def bench_photos_cmd(
    photos: Annotated[int, typer.Option(help="Camera-sized test photos to make (signs with Chinese text, EXIF).")]
    = 40,
    folder: Annotated[Path | None, typer.Option(help="Read these photos instead of making test photos.")] = None,
    hashes: Annotated[bool, typer.Option(help="Also measure same-photo distances of edited copies.")] = True,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Per-photo time of validation + EXIF + hashes + OCR + thumbnail (p50/p95), photos per second, and
    the perceptual-hash distances of recompressed, resized, cropped and different photos."""
    from eval.photo_bench import bench_photo_hashes, bench_photos, format_hash_bench

    _print_figures("photo benchmark", [bench_photos(photos, folder)], as_json)
    if hashes:
        distances = bench_photo_hashes(photos)
        typer.echo(json.dumps(distances, ensure_ascii=False) if as_json else format_hash_bench(distances))


@bench_app.command("dedup")
def bench_dedup_cmd(
    cases: Annotated[int, typer.Option(help="Synthetic open cases in the index.")] = 1_000_000,
    queries: Annotated[int, typer.Option(help="Lookups to time.")] = 2000,
    nprobe: Annotated[int, typer.Option(help="IVF lists probed per lookup.")] = 16,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Dedup lookup latency against a large synthetic index of case embeddings."""
    from eval.bench import bench_dedup

    _print_figures("dedup lookup benchmark", [bench_dedup(cases, queries, nprobe=nprobe)], as_json)


@bench_app.command("embedders")
def bench_embedders_cmd(
    backend: Annotated[list[str] | None, typer.Option(help="Backends to compare (default: all).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    kb: KbOpt = None,
) -> None:
    """Embedder comparison on Chinese STS-B, AFQMC and the knowledge base's examples."""
    from eval.embedder_bench import compare_embedders

    settings = _settings(None, kb, None, None, None)
    try:
        rows = compare_embedders(settings.kb_dir, backend)
    except FileNotFoundError as exc:
        _fail(str(exc))
    _print_figures("embedder comparison", rows, as_json)


@app.command("eval")
def eval_cmd(
    dataset: Annotated[str, typer.Argument(
        help="JSONL path, a bundled name (zhengzhou_dev, zhengzhou_test), a shared-data path "
             "(teddy2020/messages_labelled_sample), or `compare A B`.")],
    more: Annotated[list[str] | None, typer.Argument(help="With `compare`: two report folders or JSON files.")]
    = None,
    tasks: Annotated[str, typer.Option(help="Comma-separated: classification,routing,urgency,dedup,speed,confidence.")]
    = "classification,routing,urgency,dedup,speed,confidence",
    baseline: Annotated[list[str] | None, typer.Option(help="Baselines side by side: tfidf-svm, keywords.")] = None,
    label_field: Annotated[str | None, typer.Option(help="Column holding the category label (default category).")]
    = None,
    cv: Annotated[int, typer.Option(help="K-fold cross-validation of the classifier on this dataset's labels.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print all figures as JSON.")] = False,
    report: Annotated[Path | None, typer.Option("--report", help="Write Markdown and HTML reports with plots here.")]
    = None,
    kb: KbOpt = None, config: ConfigOpt = None, mode: ModeOpt = None, embedder: EmbedderOpt = None,
    model: ModelOpt = None,
) -> None:
    """Measure GridTriage on a labelled dataset: category, department, urgency, duplicates, speed."""
    if dataset == "compare":
        _compare(more or [])
        return
    if more:
        _fail(f"unexpected argument(s) {' '.join(more)}: eval takes one dataset (or `compare A B`)")
    from agent.pipeline import Models
    from eval.datasets import read_dataset
    from eval.runner import TASKS, evaluate
    from eval.summary import print_summary
    from eval.training import cross_validate

    wanted = [t.strip() for t in tasks.split(",") if t.strip()]
    unknown = sorted(set(wanted) - set(TASKS))
    if unknown:
        _fail(f"unknown task(s) {', '.join(unknown)}; choose from {', '.join(TASKS)}")
    settings = _settings(config, kb, None, mode, embedder, model, llm="none")  # the triage core, not the LLM
    try:
        data = read_dataset(dataset, label_field)
        models = Models.load(settings)
        if cv:
            figures: dict[str, Any] = {"dataset": {"name": data.name, "digest": data.digest,
                                                   "reports": len(data.reports)},
                                       "cross_validation": cross_validate(data, models, cv)}
        else:
            figures = evaluate(data, settings, wanted, baseline or [], models)
    except (ValueError, KBError) as exc:
        _fail(str(exc))
    figures["configuration"] = settings.model_dump(mode="json")
    if report is not None:
        from eval.report import write_report

        write_report(figures, report)
        err.print(f"report written to {report / 'report.md'} and {report / 'report.html'}")
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False, indent=2, default=str))
    elif cv:
        _print_figures("cross-validation", [{"model": name, **{k: round(v, 4) for k, v in row.items()
                                                                 if isinstance(v, float)}}
                                            for name, row in figures["cross_validation"].items()
                                            if isinstance(row, dict)], False)
    else:
        print_summary(figures, Console(width=160))


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _compare(paths: list[str]) -> None:
    from eval.report import compare

    if len(paths) != 2:
        _fail("usage: gridtriage eval compare A B  (two report folders or figures.json files)")
    loaded = []
    for p in paths:
        file = Path(p) / "figures.json" if Path(p).is_dir() else Path(p)
        try:
            loaded.append(json.loads(file.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            _fail(f"cannot read {file}: {exc}")
    table = Table(title=f"{paths[0]} → {paths[1]}")
    for col in ("figure", "A", "B", "B − A"):
        table.add_column(col)
    for name, a, b, diff in compare(loaded[0], loaded[1]):
        table.add_row(name, _fmt(a), _fmt(b), _fmt(diff))
    Console(width=160).print(table)


@app.command()
def train(
    out: Annotated[Path, typer.Option("--out", help="Model directory to write.")],
    dataset: Annotated[str | None, typer.Argument(
        help="Labelled JSONL (any label set), or a bundled dataset name; optional with --from-db.")] = None,
    label_field: Annotated[str, typer.Option(help="Column holding the label.")] = "category",
    from_db: Annotated[str | None, typer.Option(
        "--from-db", help="Also learn from the supervisors' decisions in this case database.")] = None,
    cv: Annotated[int, typer.Option(help="Also report K-fold cross-validation (mean and spread).")] = 0,
    kb: KbOpt = None, config: ConfigOpt = None, embedder: EmbedderOpt = None,
) -> None:
    """Train the category classifier on labelled reports; `--model DIR` uses it everywhere."""
    from agent.pipeline import Models
    from eval.datasets import combine, feedback_dataset, read_dataset
    from eval.training import cross_validate, train_model

    if dataset is None and from_db is None:
        _fail("give a labelled dataset, --from-db PATH, or both")
    settings = _settings(config, kb, None, None, embedder)
    try:
        parts = [read_dataset(dataset, label_field)] if dataset else []
        if from_db:
            parts.append(feedback_dataset(from_db))
        data = combine(*parts)
        models = Models.load(settings)
        info = train_model(data, models, out, label_field)
        if cv:
            info["cross_validation"] = cross_validate(data, models, cv)
    except (ValueError, KBError) as exc:
        _fail(str(exc))
    typer.echo(json.dumps(info, ensure_ascii=False, indent=2))
    err.print(f"model written to {out}; use it with --model {out}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    kb: KbOpt = None, db: DbOpt = None, config: ConfigOpt = None, mode: ModeOpt = None,
    embedder: EmbedderOpt = None, model: ModelOpt = None, llm: LlmOpt = None,
    login_link: Annotated[bool, typer.Option(
        "--login-link/--no-login-link", help="Print a one-time login link for a local supervisor session.")] = True,
) -> None:
    """Run the HTTP API (OpenAPI docs at /docs) and the web pages (/ui)."""
    import uvicorn

    from api.app import create_app

    settings = _settings(config, kb, db, mode, embedder, model, llm)
    api = settings.api.model_copy(update={k: v for k, v in {"host": host, "port": port}.items() if v is not None})
    settings = settings.model_copy(update={"api": api})
    shown = "127.0.0.1" if api.host in ("0.0.0.0", "::", "") else api.host
    base = f"http://{f'[{shown}]' if ':' in shown else shown}:{api.port}"
    lines = [f"GridTriage is starting on {base} (the models load in a few seconds)",
             f"  web pages  {base}/ui  (intake, review queue, cases, dashboard)",
             f"  API docs   {base}/docs"]
    if login_link:
        minutes = settings.web.login_link_minutes
        lines.append(f"  log in     {base}/ui/login?token={_login_token(settings.db, minutes)}  "
                     f"(a supervisor session; the link works once, within {minutes:g} minutes)")
    typer.echo("\n".join(lines))
    sys.stdout.flush()
    try:
        uvicorn.run(create_app(settings), host=api.host, port=api.port, log_level="warning")
    except (ValueError, ImportError) as exc:
        _fail(str(exc))


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="operator, supervisor, dispatcher or evaluator.")],
    name: Annotated[str, typer.Option(help="Who or what uses the key.")] = "client",
    db: DbOpt = None, config: ConfigOpt = None,
) -> None:
    """Create an API key and print it once; only its hash is stored."""
    from agent.store import CaseStore
    from agent.store.workflow import Workflow

    settings = _settings(config, None, db, None, None)
    store = CaseStore.open(settings.db)
    try:
        key = Workflow(store).create_key(role, name)
    except ValueError as exc:
        _fail(str(exc))
    finally:
        store.close()
    typer.echo(key)
    err.print(f"created a {role} key for {name!r}; it is shown only now")


def _login_token(db: str, minutes: float) -> str:
    from agent.store import CaseStore
    from agent.store.users import Users

    try:
        store = CaseStore.open(db)
    except Exception as exc:  # a database that cannot be opened: say which and why
        _fail(f"cannot open the case database {db}: {exc}")
    try:
        return Users(store).issue_login_token(minutes)
    finally:
        store.close()


users_app = typer.Typer(no_args_is_help=True, help="People who log in to the web pages (/ui).")
app.add_typer(users_app, name="users")


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="The login name.")],
    role: Annotated[str, typer.Option(help="operator, supervisor, dispatcher or evaluator.")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input (for scripts).")] = False,
    db: DbOpt = None, config: ConfigOpt = None,
) -> None:
    """Create a user of the web pages (password asked twice, never echoed; stored as a salted scrypt hash)."""
    from agent.store import CaseStore
    from agent.store.users import Users
    from agent.store.workflow import ROLES

    if role not in ROLES:
        _fail(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    settings = _settings(config, None, db, None, None)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    store = CaseStore.open(settings.db)
    try:
        Users(store).create(username, role, password)
    except ValueError as exc:
        _fail(str(exc))
    finally:
        store.close()
    err.print(f"created the {role} user {username!r}; they log in at /ui/login")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
