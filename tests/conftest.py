"""Shared fixtures. The real models are loaded once per session; every test gets its own database."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

# Derived caches go to a fresh folder so a run never depends on a previous run's files.
os.environ.setdefault("GRIDTRIAGE_CACHE", tempfile.mkdtemp(prefix="gridtriage-test-cache-"))

from agent.models import Models
from agent.pipeline import TriagePipeline
from core import clock
from core.settings import DEFAULT_KB, LLMSettings, Settings
from knowledge.loader import KnowledgeBase, load_kb
from tests.support.postgres import Cluster


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock-at", metavar="ISO", default=None,
        help="run GridTriage's clock, here and in every process the tests start, as if the suite started at "
             "this timezone-aware moment (e.g. 2027-12-07T09:00:00+00:00); it runs on from there")


def pytest_configure(config: pytest.Config) -> None:
    at = config.getoption("--clock-at")
    if not at:
        return
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise pytest.UsageError(f"--clock-at {at!r} is not an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        raise pytest.UsageError(f"--clock-at {at!r} needs an offset, e.g. {at}+08:00")
    offset = moment - datetime.now(UTC)
    os.environ[clock.OFFSET_ENV] = repr(offset.total_seconds())  # the CLI and server subprocesses inherit it
    clock.set_clock(clock.SystemClock(offset))


def pytest_report_header(config: pytest.Config) -> str:
    return f"GridTriage clock: {clock.now().isoformat(timespec='seconds')} ({clock.OFFSET_ENV}=" \
           f"{os.environ.get(clock.OFFSET_ENV, 'unset')})"


@pytest.fixture
def frozen_clock() -> Iterator[clock.FrozenClock]:
    """GridTriage's clock stopped at the current moment (the suite's, as `--clock-at` set it); the test
    moves it with `set` and `advance`. Only this process: subprocesses keep the running clock."""
    frozen = clock.FrozenClock(clock.now())
    with clock.using(frozen):
        yield frozen


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_kb(DEFAULT_KB)


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> Models:
    db = tmp_path_factory.mktemp("models") / "unused.db"
    return Models.load(Settings(db=str(db)))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked `both_backends` (the store, API and dedup modules) runs on SQLite and on
    PostgreSQL; every other test on SQLite."""
    if "backend" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("both_backends") is not None
        metafunc.parametrize("backend", BACKENDS if both else BACKENDS[:1])


BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    """One throwaway PostgreSQL cluster for the session (Debian's server, started here)."""
    cluster = Cluster()
    yield cluster
    cluster.stop()


@pytest.fixture
def database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """The test's own empty case database: a SQLite file, or a new database on the PostgreSQL cluster."""
    if backend == "sqlite":
        return str(tmp_path / "cases.db")
    cluster: Cluster = request.getfixturevalue("postgres")
    return cluster.database()


@pytest.fixture
def settings(database: str) -> Settings:
    """Template drafting: tests of the triage core do not wait for a language model. The LLM
    drafter has its own tests (tests/agent/test_llm_drafting.py)."""
    return Settings(db=database, llm=LLMSettings(provider="none"))


@pytest.fixture
def pipeline(settings: Settings, models: Models) -> Iterator[TriagePipeline]:
    p = TriagePipeline(settings, models=models)
    p.warm_up()
    yield p
    p.store.close()
