"""A case store of its own for each store test, on the test's backend (SQLite, or PostgreSQL in the
modules marked `both_backends`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent.store import CaseStore


@pytest.fixture
def store(database: str) -> Iterator[CaseStore]:
    store = CaseStore.open(database)
    yield store
    store.close()
