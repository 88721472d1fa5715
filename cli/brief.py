"""`gridtriage brief`: a daily or weekly briefing (专报) from the case database, written as Markdown,
a self-contained HTML file and the figures as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import ConfigOpt, DbOpt, KbOpt, LlmOpt, app, fail, settings_from
from core.messages import lookup

NARRATIVES = ("template", "llm")


@app.command()
def brief(
    out: Annotated[Path, typer.Option("--out", help="Folder the briefing is written to (created if missing).")],
    period: Annotated[str, typer.Option("--period", help="day (日报) or week (周报, Monday to Sunday).")] = "day",
    day: Annotated[str | None, typer.Option(
        "--date", help="A day of the period, YYYY-MM-DD on the city's calendar (default: the last complete "
                       "period).")] = None,
    narrative: Annotated[str, typer.Option(
        "--narrative", help="template (from the figures, the default) or llm (the configured language model, "
                            "its numbers checked against the figures).")] = "template",
    lang: Annotated[str, typer.Option("--lang", help="zh (the default) or en.")] = "zh",
    kb: KbOpt = None, db: DbOpt = None, config: ConfigOpt = None, llm: LlmOpt = None,
) -> None:
    """Write a briefing: volumes by category, street and department with the change from the previous
    period, hot issues, overdue cases, response and disposal times, verification, satisfaction and the
    urgent cases, with a narrative."""
    from agent.briefing import Briefer, file_stem, render_html, render_markdown
    from agent.briefing_narrative import make_narrator
    from agent.store import CaseStore
    from core.messages import Refusal
    from knowledge.loader import load_kb
    from knowledge.reading import KBError

    lang = "en" if lang == "en" else "zh"
    if narrative not in NARRATIVES:
        fail(lookup("brief.narrative_unknown", narrative=narrative))
    settings = settings_from(config, kb, db, None, None, llm=llm)
    file = _sqlite_file(settings.db)
    if file is not None and not file.is_file():
        fail(lookup("brief.no_database", db=settings.db))
    try:
        knowledge = load_kb(settings.kb_dir)
        narrator = make_narrator(settings.llm, llm=narrative == "llm")
        store = CaseStore.open(settings.db)
    except (KBError, ValueError, ImportError) as exc:
        fail(str(exc))
    try:
        briefer = Briefer(store, knowledge, narrator)
        briefer.warm_up()
        briefing = briefer.run(period, day, lang=lang)
        out.mkdir(parents=True, exist_ok=True)
        stem = out / file_stem(briefing)
        written = [stem.with_suffix(".md"), stem.with_suffix(".html"), stem.with_suffix(".json")]
        written[0].write_text(render_markdown(briefer, briefing, lang), encoding="utf-8")
        written[1].write_text(render_html(briefer, briefing, lang), encoding="utf-8")
        written[2].write_text(briefing.model_dump_json(indent=2), encoding="utf-8")
    except Refusal as exc:
        fail(exc.text(lang))
    except (ValueError, OSError) as exc:
        fail(str(exc))
    finally:
        store.close()
    if briefing.narrative.fallback_reason:
        typer.echo(lookup("brief.narrative.fallback", lang, reason=briefing.narrative.fallback_reason), err=True)
    typer.echo(lookup("brief.written", lang, files=", ".join(str(p) for p in written)))


def _sqlite_file(db: str) -> Path | None:
    """The file of a SQLite database (None for a server's URL or an in-memory database)."""
    if "://" not in db:
        return Path(db).expanduser()
    if db.startswith("sqlite:///") and db != "sqlite:///:memory:":
        return Path(db.removeprefix("sqlite:///")).expanduser()
    return None
