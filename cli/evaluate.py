"""`gridtriage eval` (measure on a labelled dataset, or compare two reports) and `gridtriage train`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cli.common import (
    ConfigOpt,
    EmbedderOpt,
    KbOpt,
    LlmOpt,
    ModelOpt,
    ModeOpt,
    app,
    err,
    fail,
    print_figures,
    settings_from,
)


@app.command("eval")
def eval_cmd(
    dataset: Annotated[str, typer.Argument(
        help="JSONL path, a bundled name (zhengzhou_dev, zhengzhou_test), a shared-data path "
             "(teddy2020/messages_labelled_sample), `replies` (the reply checks of 智能核查), `reply-labels` (the "
             "checks against hand labels), `after-photos` (the after-photo checks), `reply-drafts` (replies to "
             "citizens drafted from 40 real disposals), `grids [GOLD.jsonl]` (place → grid on points with known "
             "grids), or `compare A B`.")],
    more: Annotated[list[str] | None, typer.Argument(
        help="With `compare`: two report folders or JSON files; with `grids`: a gold set other than the bundled.")]
    = None,
    tasks: Annotated[str, typer.Option(help="Comma-separated: classification,routing,urgency,dedup,speed,confidence.")]
    = "classification,routing,urgency,dedup,speed,confidence",
    baseline: Annotated[list[str] | None, typer.Option(help="Baselines side by side: tfidf-svm, keywords.")] = None,
    label_field: Annotated[str | None, typer.Option(
        help="Column holding the label (default category); with --model DIR trained on another label set "
             "(`train --label-field`), that model is scored on these labels and routing is skipped.")]
    = None,
    cv: Annotated[int, typer.Option(help="K-fold cross-validation of the classifier on this dataset's labels.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print all figures as JSON.")] = False,
    report: Annotated[Path | None, typer.Option("--report", help="Write Markdown and HTML reports with plots here.")]
    = None,
    split: Annotated[str, typer.Option(help="With `replies`: dev or test (held out).")] = "test",
    fit: Annotated[bool, typer.Option("--fit", help="With `replies --split dev`: fit the check weights.")] = False,
    checks: Annotated[str, typer.Option(help="With `replies`: comma-separated checks to fit and measure "
                                             "(relevance, substance, completeness).")]
    = "relevance,substance,completeness",
    cases: Annotated[int | None, typer.Option(
        help="With `after-photos`: generated cases (six after-photos each, default 20); with `reply-drafts`: "
             "real pairs (default 40).")] = None,
    ocr: Annotated[bool, typer.Option("--ocr/--no-ocr", help="With `after-photos`: read the text on photos.")]
    = True,
    kb: KbOpt = None, config: ConfigOpt = None, mode: ModeOpt = None, embedder: EmbedderOpt = None,
    model: ModelOpt = None, llm: LlmOpt = None,
) -> None:
    """Measure GridTriage on a labelled dataset: category, department, urgency, duplicates, speed."""
    def loop_settings(provider: str | None = "none") -> Any:  # the closing-the-loop sets: no case drafter
        return settings_from(config, kb, None, mode, embedder, model, llm=provider)

    closing_the_loop = {
        "replies": lambda: _replies(loop_settings(), split, fit, as_json,
                                    tuple(c.strip() for c in checks.split(",") if c.strip())),
        "after-photos": lambda: _after_photos(loop_settings(), 20 if cases is None else cases, ocr, as_json),
        "reply-drafts": lambda: _reply_drafts(loop_settings(llm), 40 if cases is None else cases, as_json),
        "reply-labels": lambda: _reply_labels(loop_settings(), as_json),
        "compare": lambda: _compare(more or [], as_json),
        "grids": lambda: _grids(loop_settings(), more or [], as_json),
    }
    if dataset in closing_the_loop:
        closing_the_loop[dataset]()
        return
    if more:
        fail(f"unexpected argument(s) {' '.join(more)}: eval takes one dataset (or `compare A B`)")
    from agent.models import Models
    from eval.datasets import read_dataset
    from eval.foreign_model import score_foreign_model
    from eval.runner import TASKS, evaluate
    from eval.summary import print_foreign_summary, print_summary
    from eval.training import cross_validate
    from knowledge.reading import KBError

    wanted = [t.strip() for t in tasks.split(",") if t.strip()]
    unknown = sorted(set(wanted) - set(TASKS))
    if unknown:
        fail(f"unknown task(s) {', '.join(unknown)}; choose from {', '.join(TASKS)}")
    settings = settings_from(config, kb, None, mode, embedder, model, llm="none")  # the triage core, not the LLM
    try:
        data = read_dataset(dataset, label_field)
        models, labeller = Models.load_for_model(settings)
        if cv:
            figures: dict[str, Any] = {"dataset": {"name": data.name, "digest": data.digest,
                                                   "reports": len(data.reports)},
                                       "cross_validation": cross_validate(data, models, cv)}
        elif labeller is not None:
            figures = score_foreign_model(data, models, labeller, wanted, baseline or [])
        else:
            figures = evaluate(data, settings, wanted, baseline or [], models)
    except (ValueError, KBError) as exc:
        fail(str(exc))
    figures["configuration"] = settings.model_dump(mode="json")
    if report is not None:
        from eval.report import write_report

        write_report(figures, report)
        err.print(f"report written to {report / 'report.md'} and {report / 'report.html'}")
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False, indent=2, default=str))
    elif cv:
        print_figures("cross-validation", [{"model": name, **{k: round(v, 4) for k, v in row.items()
                                                                 if isinstance(v, float)}}
                                            for name, row in figures["cross_validation"].items()
                                            if isinstance(row, dict)], False)
    elif labeller is not None:
        print_foreign_summary(figures, Console(width=160))
    else:
        print_summary(figures, Console(width=160))


def _grids(settings: Any, gold: list[str], as_json: bool) -> None:
    from eval.grid_eval import evaluate_grids
    from knowledge.reading import KBError

    if len(gold) > 1:
        fail("eval grids takes at most one gold set (a JSONL file)")
    try:
        figures = evaluate_grids(settings, Path(gold[0]) if gold else None)
    except (ValueError, KBError) as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    print_figures(f"place → grid on {figures['dataset']['name']}", [{k: v for k, v in figures.items() if k != "wrong"}],
                  False)
    for row in figures["wrong"]:
        typer.echo(json.dumps(row, ensure_ascii=False))


def _replies(settings: Any, split: str, refit: bool, as_json: bool, checks: tuple[str, ...]) -> None:
    from eval.reply_checks import CHECKS, evaluate_replies

    try:
        figures = evaluate_replies(settings, split, refit, checks=checks)
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    rows = [{"check": name, **figures[CHECKS[name][1]]} for name in checks]
    print_figures(f"reply checks, {figures['dataset']['pairs']} pairs of {split}", rows, False)
    typer.echo(json.dumps({k: figures[k] for k in ("verdicts", *(["fitted"] if refit else []))},
                          ensure_ascii=False, indent=1))


def _reply_labels(settings: Any, as_json: bool) -> None:
    from eval.reply_labels import agreement

    try:
        figures = agreement(settings)
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    rows = [{"check": name, **{k: v for k, v in figures[name].items() if k != "verdicts_by_label"}}
            for name in ("relevance", "completeness")]
    print_figures(f"reply checks against {figures['pairs']} hand-labelled pairs", rows, False)
    typer.echo(json.dumps({name: figures[name]["verdicts_by_label"] for name in ("relevance", "completeness")},
                          ensure_ascii=False, indent=1))


def _after_photos(settings: Any, cases: int, ocr: bool, as_json: bool) -> None:
    from eval.after_photos import evaluate_after_photos, format_after_photos

    try:
        figures = evaluate_after_photos(cases, settings.verification,
                                        settings.photos.model_copy(update={"ocr": ocr}))
    except ValueError as exc:
        fail(str(exc))
    typer.echo(json.dumps(figures, ensure_ascii=False, indent=2) if as_json else format_after_photos(figures))


def _reply_drafts(settings: Any, cases: int, as_json: bool) -> None:
    from eval.reply_drafts import evaluate_reply_drafts

    try:
        figures = evaluate_reply_drafts(settings, cases)
    except (ValueError, OSError) as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    rows = [{k: v for k, v in d.items() if k not in ("examples", "fallbacks")} for d in figures["drafters"]]
    print_figures(f"replies drafted from {cases} real disposals ({figures['selection']})", rows, False)
    for drafter in figures["drafters"]:
        for example in drafter["examples"]:
            typer.echo(f"[{drafter['drafter']}] {example['title']}: {example['draft']}")
        for reason in drafter["fallbacks"]:
            typer.echo(f"[{drafter['drafter']}] fell back: {reason}")


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _compare(paths: list[str], as_json: bool = False) -> None:
    """Two runs side by side with B − A signed; in the terminal green where B is better and red where it
    is worse, minding the figures where lower is better (latency, misses)."""
    from core.messages import lookup as say
    from eval.report import compare, compare_records

    if len(paths) != 2:
        fail("usage: gridtriage eval compare A B  (two report folders or figures.json files)")
    loaded = []
    for p in paths:
        file = Path(p) / "figures.json" if Path(p).is_dir() else Path(p)
        try:
            loaded.append(json.loads(file.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            fail(f"cannot read {file}: {exc}")
    records = compare_records(compare(loaded[0], loaded[1]))
    if as_json:
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    table = Table(title=say("report.compare_title", a=paths[0], b=paths[1]))
    for col in ("figure", "A", "B", "B − A"):
        table.add_column(col)
    colour = {"better": "green", "worse": "red"}
    for r in records:
        style = colour.get(r["verdict"])
        table.add_row(r["figure"], _fmt(r["a"]), _fmt(r["b"]), f"[{style}]{r['signed']}[/]" if style else r["signed"])
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
    from agent.models import Models
    from eval.datasets import combine, feedback_dataset, read_dataset, resolve_dataset
    from eval.training import cross_validate, train_model
    from knowledge.reading import KBError

    if dataset is None and from_db is None:
        fail("give a labelled dataset, --from-db PATH, or both")
    settings = settings_from(config, kb, None, None, embedder)
    try:
        parts = [read_dataset(dataset, label_field)] if dataset else []
        if from_db:
            parts.append(feedback_dataset(from_db))
        data = combine(*parts)
        models = Models.load(settings)
        source = resolve_dataset(dataset).resolve() if dataset and not from_db and dataset != "teddy2020-hot" else None
        info = train_model(data, models, out, label_field, source)
        if cv:
            info["cross_validation"] = cross_validate(data, models, cv)
    except (ValueError, KBError) as exc:
        fail(str(exc))
    typer.echo(json.dumps(info, ensure_ascii=False, indent=2))
    err.print(f"model written to {out}; use it with --model {out}")
