"""Fixtures of the API tests: an app on the real models with its own database, and a key per role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from agent.models import Models
from api.app import create_app
from core.settings import ApiSettings, LLMSettings, Settings


@pytest.fixture
def client(database: str, models: Models) -> Iterator[TestClient]:
    """The app on the test's database (both backends in the modules marked `both_backends`)."""
    settings = Settings(db=database, llm=LLMSettings(provider="none"),
                        api=ApiSettings(rate_limit_per_minute=10_000, max_body_bytes=20_000))
    with TestClient(create_app(settings, models=models)) as c:
        yield c


@pytest.fixture
def keys(client: TestClient) -> dict[str, dict[str, str]]:
    workflow = client.app.state.workflow  # type: ignore[attr-defined]
    return {role: {"Authorization": f"Bearer {workflow.keys.create(role, f'test-{role}')}"}
            for role in ("operator", "supervisor", "dispatcher", "evaluator")}
