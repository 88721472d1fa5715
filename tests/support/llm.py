"""Whether the local language model can run here: its package and the bundled model's parts."""

from __future__ import annotations

import importlib.util
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from agent.draft_worker import DraftWorker
from agent.drafting import make_drafter
from agent.llm import bundled
from agent.models import Models
from agent.pipeline import TriagePipeline
from core.settings import LLMSettings, Settings
from core.types import ReportIn, TriageResult


def _missing() -> str | None:
    if importlib.util.find_spec("llama_cpp") is None:  # found, not imported: collecting stays light
        return "llama-cpp-python is not installed (scripts/setup installs it)"
    try:
        bundled.part_paths()
    except bundled.ModelFileError as exc:
        return str(exc)
    return None


MISSING = _missing()  # why the local model cannot run, or None


def triage_one(models: Models, db: Path, text: str, llm: LLMSettings) -> tuple[TriageResult, dict[str, Any]]:
    """One report through a fresh pipeline over `db` drafting with `llm`, and its case as stored."""
    pipeline = TriagePipeline(Settings(db=str(db), llm=llm), models=models)
    try:
        result = pipeline.triage(ReportIn(text=text))
        case = pipeline.store.case(result.case_id)
        assert case is not None
        return result, case.model_dump()
    finally:
        pipeline.store.close()


def audit_payloads(case: dict[str, Any], event: str) -> list[dict[str, Any]]:
    """The payloads of a case's audit events of one kind, oldest first."""
    return [a["payload"] for a in case["audit"] if a["event"] == event]


def drain_queue(client: Any) -> Counter[str]:
    """Draft everything an app's API queued, as a drafter process does (`gridtriage drafter --drain`):
    the same loop, over the app's database, with the app's LLM settings."""
    service, settings = client.app.state.service, client.app.state.settings
    kb = service.pipeline.models.kb
    worker = DraftWorker(service.pipeline.store, make_drafter(settings.llm, kb), kb, settings.drafter)
    return worker.run(threading.Event(), drain=True)
