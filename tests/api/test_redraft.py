"""The API's LLM drafting with the `fake` provider, through the real app, database and drafting queue:
the answer comes at once with the template draft and the case is queued; a drafter (the loop that
`gridtriage drafter` runs) then replaces it with the scripted LLM draft; a draft that proposes another
category or lead department sends a case nobody has reviewed yet to review."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agent.models import Models
from api.app import create_app
from core.settings import ApiSettings, LLMSettings, Settings
from tests.support.llm import drain_queue
from tests.support.web import add_users, draft, log_in

pytestmark = pytest.mark.integration

CLEAR = "德化街步行街上好多流动摊贩占道经营，行人都走不过去了"  # confident and not urgent: auto-dispatched
GOOD = {"title": "德化街步行街流动摊贩占道", "summary": "德化街步行街上流动摊贩占道经营，行人通行受阻。",
        "request": "清理占道摊贩，恢复通行", "steps": ["现场劝离流动摊贩", "加强步行街巡查"], "category": "C1",
        "lead": "D1", "assist": [], "priority": "normal",
        "rationale": "占道经营属城市管理，由主办部门依职责处理"}


@contextmanager
def app_drafting(models: Models, tmp_path: Path, *script: dict[str, Any]) -> Iterator[TestClient]:
    """The app, its LLM the fake provider answering `script`, and an API key of a supervisor."""
    replies = tuple(json.dumps(reply, ensure_ascii=False) for reply in script)
    settings = Settings(db=str(tmp_path / "api.db"), llm=LLMSettings(provider="fake", script=replies),
                        api=ApiSettings(rate_limit_per_minute=10_000))
    with TestClient(create_app(settings, models=models), follow_redirects=False) as client:
        key = client.app.state.workflow.keys.create("supervisor", "test")  # type: ignore[attr-defined]
        client.headers["Authorization"] = f"Bearer {key}"
        yield client


def drafted(client: TestClient, case_id: int) -> dict[str, Any]:
    """The case once a drafter has drafted everything queued."""
    assert drain_queue(client) == {"replaced": 1}
    case: dict[str, Any] = client.get(f"/v1/cases/{case_id}").json()
    return case


def payloads(case: dict[str, Any], event: str) -> list[dict[str, Any]]:
    return [a["payload"] for a in case["audit"] if a["event"] == event]


def test_a_good_llm_draft_replaces_the_template_draft(models: Models, tmp_path: Path) -> None:
    with app_drafting(models, tmp_path, GOOD) as client:
        r = client.post("/v1/reports", json={"text": CLEAR})
        answer = r.json()
        assert r.status_code == 201
        assert answer["draft_status"] == "llm_pending"
        assert answer["drafter"] == "template"
        assert answer["title"] != GOOD["title"]
        assert answer["status"] == "dispatched"
        assert answer["priority"] == GOOD["priority"]
        assert client.get("/healthz").json()["drafts_pending"] == 1
        assert client.get(f"/v1/cases/{answer['case_id']}").json()["draft_job"] == "queued"
        case = drafted(client, answer["case_id"])
        assert client.get("/healthz").json()["drafts_pending"] == 0
    assert case["draft"]["drafter"] == "fake:fake"
    assert case["draft_job"] == "done"
    assert (case["title"], case["summary"]) == (GOOD["title"], GOOD["summary"])
    assert case["draft"]["category_id"] == case["category_id"] == answer["category"]["id"]
    assert case["draft"]["lead_department_id"] == case["lead_department_id"]
    (call,) = payloads(case, "llm.call")
    assert call["error"] is None
    assert CLEAR in call["messages"][-1]["content"]
    (redrafted,) = payloads(case, "case.redrafted")
    assert redrafted["before"]["drafter"] == "template"
    assert redrafted["review_reasons"] == []
    assert not case["needs_review"]
    assert case["status"] == "dispatched"


@pytest.mark.parametrize(("proposal", "reason"), [({"category": "C2"}, "review.drafter_category"),
                                                  ({"lead": "D2"}, "review.drafter_lead")],
                         ids=["category", "lead"])
def test_an_llm_draft_that_disagrees_sends_an_unreviewed_case_to_review(models: Models, tmp_path: Path,
                                                                        proposal: dict[str, str], reason: str) -> None:
    """An operator drafts on the intake page, so the case waits unreviewed as `received`."""
    with app_drafting(models, tmp_path, {**GOOD, **proposal}) as client:
        add_users(client, "wang")
        operator = log_in(TestClient(client.app, follow_redirects=False), "wang")
        case_id, _ = draft(operator, CLEAR)
        case = drafted(client, case_id)
        queue = client.get("/v1/review-queue").json()
    (created,) = payloads(case, "case.created")
    assert created["needs_review"] is False  # nothing needed a person before the LLM's draft
    assert case["needs_review"]
    assert case["status"] == "received"
    assert next(c for c in queue if c["id"] == case_id)["needs_review"]
    (redrafted,) = payloads(case, "case.redrafted")
    assert [r["code"] for r in redrafted["review_reasons"]] == [reason]
    assert case["draft"]["drafter"] == "fake:fake"
    assert case["title"] == GOOD["title"]
    decided = {"category_id": created["category_id"], "lead_department_id": created["lead_department_id"]}
    assert {k: case[k] for k in decided} == decided  # the pipeline's decision stands
    changed = "category_id" if "category" in proposal else "lead_department_id"
    assert case["draft"][changed] != case[changed]


def test_an_operator_s_edit_before_the_llm_draft_stands_and_the_page_shows_the_draft_as_a_suggestion(
        models: Models, tmp_path: Path) -> None:
    with app_drafting(models, tmp_path, GOOD) as client:
        add_users(client, "wang")
        operator = log_in(TestClient(client.app, follow_redirects=False), "wang")
        case_id, _ = draft(operator, CLEAR)
        edited = client.post(f"/v1/cases/{case_id}/edit",
                             json={"changes": {"title": "德化街商户占道（接线员核实）"}, "reason": "来电补充"})
        assert edited.status_code == 200, edited.text
        assert drain_queue(client) == {"suggested": 1}
        case = client.get(f"/v1/cases/{case_id}").json()
        page = operator.get(f"/ui/cases/{case_id}").text
    assert case["title"] == "德化街商户占道（接线员核实）"
    assert case["draft_job"] == "suggested"
    assert case["draft_suggestion"]["title"] == GOOD["title"]
    assert 'id="draft-suggestion"' in page
    assert str(GOOD["title"]) in page
    assert "人工修改保留" in page
