"""`gridtriage kb check`: validate a knowledge base."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import err, fail, kb_app


@kb_app.command("check")
def kb_check(directory: Annotated[Path, typer.Argument(help="Knowledge-base folder to check.")]) -> None:
    """Validate a knowledge base; every problem names the file, the entry and what is wrong. Also says
    what its grid layer covers and which exclusive grids span streets or districts or overlap."""
    from knowledge.grid_checks import grid_report
    from knowledge.loader import check_kb, load_kb

    problems = check_kb(directory)
    if problems:
        for p in problems:
            err.print(f"[red]✗[/] {p}", highlight=False)
        fail(f"{len(problems)} problem(s) in {directory}", code=1)
    kb = load_kb(directory)
    typer.echo(
        f"ok: {kb.meta.name} — {len(kb.departments)} departments, {len(kb.clauses)} duty clauses, "
        f"{len(kb.categories)} categories with {len(kb.leaves)} leaves, {len(kb.districts)} districts, "
        f"{len(kb.streets)} streets, {len(kb.landmarks)} landmarks, {len(kb.roads)} roads, "
        f"{len(kb.policy.modes)} modes"
    )
    # The grid layer's information: what it covers, and the exclusive grids that cross streets,
    # districts or one another (by design, so not problems).
    for note in grid_report(kb.grids, kb.streets, kb.districts):
        typer.echo(f"  · {note.text()}")
