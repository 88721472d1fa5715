"""What every command shares: the Typer apps, the common options, settings from flags, and how a
command fails. Heavy parts of GridTriage are imported inside the commands that need them, so
`gridtriage --help` answers at once."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from core.settings import Settings

if TYPE_CHECKING:
    from agent.models import Models
    from agent.pipeline import TriagePipeline

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="GridTriage: triage citizen reports into drafted cases.")
kb_app = typer.Typer(no_args_is_help=True, help="Knowledge-base tools.")
app.add_typer(kb_app, name="kb")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks that print measured figures.")
app.add_typer(bench_app, name="bench")
keys_app = typer.Typer(no_args_is_help=True, help="API keys.")
app.add_typer(keys_app, name="keys")
users_app = typer.Typer(no_args_is_help=True, help="People who log in to the web pages (/ui).")
app.add_typer(users_app, name="users")

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


def settings_from(config: str | None, kb: str | None, db: str | None, mode: str | None,
              embedder: str | None, model: str | None = None, llm: str | None = None) -> Settings:
    overrides: dict[str, Any] = {"kb_dir": kb, "db": db, "mode": mode, "model_dir": model}
    if embedder:
        overrides["embedder"] = {"backend": embedder}
    if llm:
        overrides["llm"] = {"provider": llm}
    try:
        return Settings.load(config, **overrides)
    except (ValidationError, ValueError) as exc:
        fail(f"bad settings: {exc}")


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def warm_pipeline(settings: Settings, models: Models | None = None) -> TriagePipeline:
    from agent.pipeline import TriagePipeline
    from knowledge.reading import KBError

    pipeline = TriagePipeline(settings, models=models)
    try:
        pipeline.warm_up()
    except KBError as exc:
        fail(str(exc))
    except (ValueError, ImportError) as exc:
        fail(str(exc))
    return pipeline


def print_figures(title: str, rows: list[dict[str, Any]], as_json: bool) -> None:
    """A benchmark's figures: one figure per line (a nested figure as `outer.inner`), one column per
    run side by side, so that the table stays narrow at any terminal width; or the JSON."""
    if as_json:
        typer.echo(json.dumps(rows if len(rows) > 1 else rows[0], ensure_ascii=False, indent=2))
        return
    flat = [_flatten(row) for row in rows]
    table = Table(title=title)
    table.add_column("figure")
    for number in range(len(flat)):
        table.add_column("value" if len(flat) == 1 else f"run {number + 1}", justify="right")
    names = list(dict.fromkeys(name for row in flat for name in row))
    for name in names:
        table.add_row(name, *(str(row.get(name, "")) for row in flat))
    Console().print(table)


def _flatten(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
