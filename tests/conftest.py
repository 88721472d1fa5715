"""Shared fixtures. The real models are loaded once per session; every test gets its own database."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Derived caches go to a fresh folder so a run never depends on a previous run's files.
os.environ.setdefault("GRIDTRIAGE_CACHE", tempfile.mkdtemp(prefix="gridtriage-test-cache-"))

from agent.llm import LLMSettings  # noqa: E402
from agent.pipeline import Models, TriagePipeline  # noqa: E402
from agent.settings import Settings  # noqa: E402
from knowledge.loader import DEFAULT_KB, KnowledgeBase, load_kb  # noqa: E402


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_kb(DEFAULT_KB)


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> Models:
    db = tmp_path_factory.mktemp("models") / "unused.db"
    return Models.load(Settings(db=str(db)))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Template drafting: tests of the triage core do not wait for a language model. The LLM
    drafter has its own tests (tests/integration/test_llm_drafting.py)."""
    return Settings(db=str(tmp_path / "cases.db"), llm=LLMSettings(provider="none"))


@pytest.fixture
def pipeline(settings: Settings, models: Models) -> Iterator[TriagePipeline]:
    p = TriagePipeline(settings, models=models)
    p.warm_up()
    yield p
    p.store.close()
