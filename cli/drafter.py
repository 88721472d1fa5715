"""`gridtriage drafter`: a process that drafts queued cases with the language model, and how `serve`
starts them beside the API."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from typing import Annotated

import typer

from cli.common import ConfigOpt, DbOpt, KbOpt, LlmOpt, app, err, fail, settings_from
from core.settings import SERVE_SETTINGS_ENV, Settings


@app.command()
def drafter(
    kb: KbOpt = None, db: DbOpt = None, config: ConfigOpt = None, llm: LlmOpt = None,
    drain: Annotated[bool, typer.Option(
        "--drain", help="Exit once the queue is empty (a one-off catch-up) instead of waiting for jobs.")] = False,
    nice: Annotated[int, typer.Option(min=0, max=19, help="Lower this process's CPU priority by this much.")] = 0,
    from_serve: Annotated[bool, typer.Option("--from-serve", hidden=True)] = False,
) -> None:
    """Draft queued cases with the language model, urgent first (the API queues every new case when
    an LLM is configured; `serve` starts one drafter, more may run on other machines)."""
    from zoneinfo import ZoneInfo

    from agent.draft_worker import DraftWorker
    from agent.llm import make_provider
    from agent.llm_drafting import LLMDrafter
    from agent.reply_drafting import LLMReplyDrafter
    from agent.store import CaseStore
    from knowledge.loader import load_kb
    from knowledge.reading import KBError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s drafter[%(process)d] %(message)s")
    if from_serve:
        settings = Settings.model_validate_json(os.environ[SERVE_SETTINGS_ENV])
        parent = os.getppid()
    else:
        settings = settings_from(config, kb, db, None, None, llm=llm)
        parent = None
    if settings.llm.provider == "none":
        fail("the drafter needs a language model: set --llm, GRIDTRIAGE_LLM or llm.provider")
    if nice:
        os.nice(nice)
    try:
        knowledge = load_kb(settings.kb_dir)
        provider = make_provider(settings.llm)  # one model serves both drafters
        worker = DraftWorker(CaseStore.open(settings.db), LLMDrafter(settings.llm, knowledge, provider=provider),
                             knowledge, settings.drafter,
                             LLMReplyDrafter(settings.llm, provider, ZoneInfo(knowledge.meta.timezone)))
        worker.warm_up()
    except (KBError, ValueError, ImportError) as exc:
        fail(str(exc))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())  # the draft under way finishes first
    if parent is not None:
        threading.Thread(target=_stop_with_parent, args=(parent, stop), daemon=True).start()
    err.print(f"drafter {worker.name} is waiting for jobs in {settings.db}")
    landed = worker.run(stop, drain=drain)
    worker.store.close()
    err.print("drafts: " + (", ".join(f"{n} {what}" for what, n in sorted(landed.items())) or "none"))


def _stop_with_parent(parent: int, stop: threading.Event) -> None:
    """A drafter `serve` started stops when `serve` is gone, even after a kill -9."""
    while not stop.wait(1.0):
        if os.getppid() != parent:
            stop.set()


def start_drafters(settings: Settings) -> list[subprocess.Popen[bytes]]:
    """The drafter processes `serve` runs beside the API (settings.drafter.processes, niced), when
    an LLM is configured."""
    if settings.llm.provider == "none" or settings.drafter.processes == 0:
        return []
    env = {**os.environ, SERVE_SETTINGS_ENV: settings.to_json_with_secrets()}
    command = [sys.executable, "-m", "cli", "drafter", "--from-serve", "--nice", str(settings.drafter.nice)]
    return [subprocess.Popen(command, env=env) for _ in range(settings.drafter.processes)]


def stop_drafters(processes: list[subprocess.Popen[bytes]], timeout_s: float = 90.0) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
