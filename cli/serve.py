"""`gridtriage serve` (the HTTP API and the pages), and the accounts that use them: API keys and web users."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

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
    keys_app,
    settings_from,
    users_app,
)

ROLE_HELP = "operator, supervisor, dispatcher, evaluator, department (with --department) or grid (with --grid)."
DepartmentOpt = Annotated[str | None, typer.Option(
    help="The department id a department key or user works for (its cases only).")]
GridOpt = Annotated[str | None, typer.Option(
    help="The grid id a grid key or user (网格员) works in (its grid's cases only; it whistles departments in).")]


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    kb: KbOpt = None, db: DbOpt = None, config: ConfigOpt = None, mode: ModeOpt = None,
    embedder: EmbedderOpt = None, model: ModelOpt = None, llm: LlmOpt = None,
    login_link: Annotated[bool, typer.Option(
        "--login-link/--no-login-link", help="Print a one-time login link for a local supervisor session.")] = True,
    workers: Annotated[int, typer.Option(
        min=1, max=64, help="Worker processes sharing the port and the database (each loads the models).")] = 1,
    drafters: Annotated[int | None, typer.Option(
        min=0, max=16, help="Drafter processes to start beside the API when an LLM is configured "
                            "(default drafter.processes, 1); 0 when they run elsewhere.")] = None,
) -> None:
    """Run the HTTP API (OpenAPI docs at /docs) and the web pages (/ui)."""
    import uvicorn

    from api.app import create_app
    from cli.drafter import start_drafters, stop_drafters
    from core.settings import SERVE_SETTINGS_ENV

    settings = settings_from(config, kb, db, mode, embedder, model, llm)
    if drafters is not None:
        settings = settings.model_copy(update={"drafter": settings.drafter.model_copy(update={"processes": drafters})})
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
    if settings.llm.provider != "none":
        lines.append(f"  drafting   new cases are queued for the {settings.llm.provider} drafter; "
                     f"{settings.drafter.processes} drafter process(es) started here")
    typer.echo("\n".join(lines))
    sys.stdout.flush()
    drafter_processes = start_drafters(settings)
    try:
        if workers == 1:
            uvicorn.run(create_app(settings), host=api.host, port=api.port, log_level="warning")
        else:
            os.environ[SERVE_SETTINGS_ENV] = settings.to_json_with_secrets()
            uvicorn.run("api.app:app_from_environment", factory=True, workers=workers, host=api.host,
                        port=api.port, log_level="warning")
    except (ValueError, ImportError) as exc:
        fail(str(exc))
    finally:
        stop_drafters(drafter_processes)


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help=ROLE_HELP)],
    name: Annotated[str, typer.Option(help="Who or what uses the key.")] = "client",
    rate_limit: Annotated[int | None, typer.Option(
        help="Requests per minute for this key, instead of the server's `api.rate_limit_per_minute`.")] = None,
    department: DepartmentOpt = None,
    grid: GridOpt = None,
    db: DbOpt = None, config: ConfigOpt = None,
) -> None:
    """Create an API key and print it once; only its hash is stored."""
    from agent.store import CaseStore
    from agent.store.keys import ApiKeys

    settings = settings_from(config, None, db, None, None)
    _check_department(settings.kb_dir, department, grid)
    store = CaseStore.open(settings.db)
    try:
        key = ApiKeys(store).create(role, name, rate_limit, department, grid)
    except ValueError as exc:
        fail(str(exc))
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
        fail(f"cannot open the case database {db}: {exc}")
    try:
        return Users(store).issue_login_token(minutes)
    finally:
        store.close()



if TYPE_CHECKING:
    from agent.store.users import Users

T = TypeVar("T")
PasswordStdin = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the password from the first line of standard input (for scripts).")]


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="The login name.")],
    role: Annotated[str, typer.Option(help=ROLE_HELP)],
    department: DepartmentOpt = None,
    grid: GridOpt = None,
    password_stdin: PasswordStdin = False,
    db: DbOpt = None, config: ConfigOpt = None,
) -> None:
    """Create a user of the web pages (password asked twice, never echoed; stored as a salted scrypt hash)."""
    from agent.store.keys import check_role

    try:
        check_role(role, department, grid)
    except ValueError as exc:
        fail(str(exc))
    _check_department(settings_from(config, None, db, None, None).kb_dir, department, grid)
    password = _password(password_stdin, "Password")
    _with_users(config, db, lambda users: users.create(username, role, password, department_id=department,
                                                       grid_id=grid))
    err.print(f"created the {role} user {username!r}; they log in at /ui/login")


@users_app.command("password")
def users_password(
    username: Annotated[str, typer.Argument(help="The login name.")],
    password_stdin: PasswordStdin = False,
    db: DbOpt = None, config: ConfigOpt = None,
) -> None:
    """Set a user's password; every page session they had open is logged out at once."""
    password = _password(password_stdin, "New password")
    revoked = _with_users(config, db, lambda users: users.set_password(username, password))
    err.print(f"set the password of {username!r}; {revoked} open session(s) logged out")


def _password(from_stdin: bool, prompt: str) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=True))


def _check_department(kb_dir: str | Path, department: str | None, grid: str | None = None) -> None:
    """A department id and a grid id the knowledge base knows (none given is the role check's business)."""
    if department is None and grid is None:
        return
    from core.messages import message
    from knowledge.loader import load_kb

    kb = load_kb(Path(kb_dir))
    if department is not None and department not in kb.departments:
        fail(message("key.department_unknown", id=department, departments="、".join(kb.departments)).text())
    if grid is not None and grid not in kb.grids:
        fail(message("key.grid_unknown", id=grid).text())


def _with_users(config: str | None, db: str | None, action: Callable[[Users], T]) -> T:
    """`action` on the users of the configured database; a refusal ends the command with its reason."""
    from agent.store import CaseStore
    from agent.store.users import Users

    store = CaseStore.open(settings_from(config, None, db, None, None).db)
    try:
        return action(Users(store))
    except ValueError as exc:
        fail(str(exc))
    finally:
        store.close()
