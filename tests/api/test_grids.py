"""Grids through the HTTP API, on the real models and store (SQLite and PostgreSQL): a grid-first case
goes to its grid's 网格员; a grid member whistles departments in and each reports in with its own
key; a missed report-in and an overdue case escalate by the app's own running scheduler, measured
from the moment the deadline passes; a grid's mode tightens the deadlines of new cases there; the
notifications feed is scoped by role; bad input is answered in Chinese."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from agent.models import Models
from agent.store.models import EscalationRow, WhistleCallRow
from agent.store.store import CaseStore
from api.app import create_app
from core.clock import FrozenClock
from core.settings import ApiSettings, LLMSettings, Settings

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

GRID, COMMUNITY = "erqi.daxue-road.c1.g1", "erqi.daxue-road.c1"
IN_GRID = (34.7456288, 113.64673435)  # inside GRID, in the knowledge base's GCJ-02
DISPUTE = "楼上邻居装修把水管弄漏了，水一直渗到我家天花板，找他们协商好几次都不管，请社区帮忙调解一下"
# Grid-first reports in three other grids of three other streets, so that none repeats another
OTHERS = (("楼道里堆满了纸箱子和旧家具，上下楼都走不通，请社区清理一下", (34.746296, 113.657719)),
          ("楼下邻居养的大狗天天晚上叫，遛狗也不拴绳，孩子都不敢下楼", (34.744778, 113.640095)),
          ("对门邻居把鞋柜和杂物堆在公共过道里，协商多次不搬，请社区调解", (34.759289, 113.656099)))
TICK_S = ApiSettings().escalation_tick_s  # the scheduler runs at its default interval


@pytest.fixture
def app_client(database: str, models: Models) -> Iterator[TestClient]:
    settings = Settings(db=database, llm=LLMSettings(provider="none"),
                        api=ApiSettings(rate_limit_per_minute=10_000, max_body_bytes=20_000))
    with TestClient(create_app(settings, models=models)) as c:
        yield c


def key(client: TestClient, role: str, **bound: str) -> dict[str, str]:
    created = client.app.state.workflow.keys.create(role, f"test-{role}", **bound)  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {created}"}


@pytest.fixture
def keys(app_client: TestClient) -> dict[str, dict[str, str]]:
    return {"operator": key(app_client, "operator"), "supervisor": key(app_client, "supervisor"),
            "grid": key(app_client, "grid", grid_id=GRID),
            "other_grid": key(app_client, "grid", grid_id="erqi.daxue-road.c2.g1"),
            "city_management": key(app_client, "department", department_id="city-management"),
            "water": key(app_client, "department", department_id="water-supply")}


def case_of(client: TestClient, headers: dict[str, str], case_id: int) -> dict[str, Any]:
    r = client.get(f"/v1/cases/{case_id}", headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def dispute(client: TestClient, keys: dict[str, dict[str, str]], point: tuple[float, float] = IN_GRID,
            text: str = DISPUTE) -> int:
    """A grid-first report with a pin, dispatched (by a supervisor when it waited for review)."""
    r = client.post("/v1/reports", json={"text": text, "lat": point[0], "lon": point[1]}, headers=keys["operator"])
    assert r.status_code == 201, r.text
    assert r.json()["duplicate_of"] is None
    case_id: int = r.json()["case_id"]
    if r.json()["status"] == "received":
        confirmed = client.post(f"/v1/cases/{case_id}/confirm", json={"note": "属实"}, headers=keys["supervisor"])
        assert confirmed.status_code == 200, confirmed.text
    return case_id


def notices(client: TestClient, headers: dict[str, str], since: str | None = None) -> list[dict[str, Any]]:
    r = client.get("/v1/notifications", params={"since": since} if since else {}, headers=headers)
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["notifications"]
    return found


def refused(r: Any, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    assert r.json()["code"] == code, r.text
    detail: str = r.json()["detail"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in detail), detail  # said in Chinese
    return detail


def test_a_grid_first_case_goes_to_its_grid(app_client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    case_id = dispute(app_client, keys)
    case = case_of(app_client, keys["supervisor"], case_id)
    assert case["category_id"] == "community.neighbour-dispute"
    assert (case["status"], case["grid_id"], case["grid_first"]) == ("dispatched", GRID, True)
    assert case["departments"][0]["role"] == "grid"
    assert case["departments"][0]["id"] == GRID
    assert case["departments"][1]["role"] == "lead"  # the department stays answerable for the disposal
    assert [m["role"] for m in case["departments"][0]["members"]] == ["网格员"]
    assert "contact" not in case["departments"][0]["members"][0]
    assert any(a["event"] == "case.dispatched_to_grid" for a in case["audit"])

    mine = notices(app_client, keys["grid"])
    assert [(n["kind"], n["case_id"]) for n in mine] == [("grid_dispatch", case_id)]
    assert "大学路第一社区第1网格" in mine[0]["text"]
    assert case_id in [c["id"] for c in app_client.get("/v1/cases", headers=keys["grid"]).json()]
    assert notices(app_client, keys["other_grid"]) == []
    assert notices(app_client, keys["water"]) == []
    assert [n["kind"] for n in notices(app_client, keys["supervisor"])] == ["grid_dispatch"]
    refused(app_client.get(f"/v1/cases/{case_id}", headers=keys["other_grid"]), 404, "case.not_found")
    assert app_client.get("/v1/cases", headers=keys["other_grid"]).json() == []


def test_whistle_and_report_in(app_client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    case_id = dispute(app_client, keys)
    url = f"/v1/cases/{case_id}/whistle"
    assert app_client.post(url, json={"departments": ["city-management"]}, headers=keys["operator"]).status_code == 403
    assert app_client.post(url, json={"departments": []}, headers=keys["grid"]).status_code == 422
    refused(app_client.post(url, json={"departments": ["no-such-office"]}, headers=keys["grid"]), 422,
            "whistle.unknown_department")
    refused(app_client.post(url, json={"departments": ["city-management"]}, headers=keys["other_grid"]), 404,
            "case.not_found")
    refused(app_client.post("/v1/cases/999999/whistle", json={"departments": ["city-management"]},
                            headers=keys["grid"]), 404, "case.not_found")

    r = app_client.post(url, json={"departments": ["city-management"], "note": "楼道漏水影响通行"},
                        headers=keys["grid"])
    assert r.status_code == 201, r.text
    whistle = r.json()
    assert whistle["mode"] == "normal"
    assert whistle["grid_id"] == GRID
    call = whistle["calls"][0]
    due = datetime.fromisoformat(call["due_by"]) - datetime.fromisoformat(whistle["created_at"])
    assert due == timedelta(minutes=30)
    assert call["due_by_local"].endswith("+08:00")
    assert [n["kind"] for n in notices(app_client, keys["city_management"])] == ["whistle"]

    report = f"{url}/{whistle['id']}/report"
    assert app_client.post(report, json={}, headers=keys["supervisor"]).status_code == 403
    refused(app_client.post(report, json={}, headers=keys["water"]), 404, "whistle.not_called")
    refused(app_client.post(f"{url}/{whistle['id'] + 7}/report", json={}, headers=keys["city_management"]), 404,
            "whistle.not_found")
    assert case_of(app_client, keys["city_management"], case_id)["id"] == case_id  # a called department sees it
    r = app_client.post(report, json={"note": "执法队20分钟内到"}, headers=keys["city_management"])
    assert r.status_code == 200, r.text
    reported = r.json()["calls"][0]
    assert reported["reported_at"] is not None
    assert not reported["late"]
    assert reported["escalated_at"] is None
    refused(app_client.post(report, json={}, headers=keys["city_management"]), 422, "whistle.already_reported")
    grid_feed = notices(app_client, keys["grid"])
    assert [n["kind"] for n in grid_feed] == ["grid_dispatch", "reported_in"]
    assert notices(app_client, keys["grid"], since=str(grid_feed[0]["id"]))[0]["kind"] == "reported_in"
    listed = app_client.get(f"/v1/cases/{case_id}/whistles", headers=keys["supervisor"]).json()
    assert [w["id"] for w in listed] == [whistle["id"]]
    events = [a["event"] for a in case_of(app_client, keys["supervisor"], case_id)["audit"]]
    assert "case.whistled" in events
    assert "whistle.reported" in events

    refused(app_client.get("/v1/notifications", params={"since": "昨天"}, headers=keys["grid"]), 422,
            "notifications.bad_since")
    assert app_client.get("/v1/notifications", params={"since": "2026-12-08T09:00:00"},
                          headers=keys["grid"]).status_code == 200


def test_a_grid_mode_tightens_new_cases_and_a_missed_report_in_escalates(
        app_client: TestClient, keys: dict[str, dict[str, str]], database: str, frozen_clock: FrozenClock) -> None:
    refused(app_client.put("/v1/mode", json={"mode": "emergency", "reason": "管网抢修", "grid_id": "nowhere"},
                           headers=keys["supervisor"]), 422, "mode.unknown_grid")
    refused(app_client.put("/v1/mode", json={"mode": "panic", "reason": "管网抢修", "grid_id": COMMUNITY},
                           headers=keys["supervisor"]), 422, "mode.unknown")
    assert app_client.put("/v1/mode", json={"mode": "emergency", "reason": "x", "grid_id": COMMUNITY},
                          headers=keys["operator"]).status_code == 403
    r = app_client.put("/v1/mode", json={"mode": "emergency", "reason": "社区燃气管网抢修", "grid_id": COMMUNITY},
                       headers=keys["supervisor"])
    assert r.status_code == 200, r.text
    assert (r.json()["grid_id"], r.json()["before"]) == (COMMUNITY, None)
    mode = app_client.get("/v1/mode", headers=keys["operator"]).json()
    assert mode["mode"] == "normal"
    assert [(a["grid_id"], a["mode"]) for a in mode["areas"]] == [(COMMUNITY, "emergency")]

    inside = case_of(app_client, keys["supervisor"], dispute(app_client, keys))  # in a micro grid of COMMUNITY
    assert inside["mode"] == "emergency"
    received = datetime.fromisoformat(inside["reports"][0]["received_at"])
    assert datetime.fromisoformat(inside["respond_by"]) - received <= timedelta(minutes=15)
    text, point = OTHERS[1]
    elsewhere = case_of(app_client, keys["supervisor"], dispute(app_client, keys, point, text))
    assert elsewhere["grid_id"] != GRID
    assert elsewhere["mode"] == "normal"

    r = app_client.post(f"/v1/cases/{inside['id']}/whistle",
                        json={"departments": ["city-management", "water-supply"]}, headers=keys["grid"])
    assert r.status_code == 201, r.text
    whistle = r.json()
    assert whistle["mode"] == "emergency"
    assert app_client.post(f"/v1/cases/{inside['id']}/whistle/{whistle['id']}/report", json={},
                           headers=keys["water"]).status_code == 200
    frozen_clock.advance(timedelta(minutes=1, seconds=1))  # city management's minute has passed
    store = CaseStore.open(database)
    try:
        deadline = time.monotonic() + 10 * TICK_S + 5
        while time.monotonic() < deadline:
            with store.session() as s:
                escalated = s.scalars(select(WhistleCallRow.escalated_at).where(
                    WhistleCallRow.whistle_id == whistle["id"], WhistleCallRow.department_id == "city-management")
                ).first()
            if escalated is not None:
                break
            time.sleep(0.02)
        assert escalated is not None, "the running scheduler escalated the missed report-in"
    finally:
        store.close()
    assert [n["kind"] for n in notices(app_client, keys["city_management"])][-1] == "report_missed"
    assert "report_missed" not in [n["kind"] for n in notices(app_client, keys["water"])]
    assert "report_missed" in [n["kind"] for n in notices(app_client, keys["supervisor"])]


def test_the_running_scheduler_escalates_within_a_second_of_the_deadline(
        app_client: TestClient, keys: dict[str, dict[str, str]], database: str, frozen_clock: FrozenClock) -> None:
    """The delay between the clock passing a case's deadline and its escalation being stored, with the
    app's own scheduler running at its default tick."""
    cases = []
    for text, point in OTHERS:  # an hour apart, so each deadline passes on its own
        cases.append(case_of(app_client, keys["supervisor"], dispute(app_client, keys, point, text)))
        frozen_clock.advance(timedelta(hours=1))
    store = CaseStore.open(database)
    delays = []
    try:
        for case in cases:
            status, due = case["status"], case["due_by"]
            assert status == "dispatched"
            assert due is not None
            frozen_clock.set(datetime.fromisoformat(due))  # this case's step deadline passes now
            passed = time.monotonic()
            stored = None
            while stored is None and time.monotonic() - passed < 5:
                with store.session() as s:
                    stored = s.scalars(select(EscalationRow.id).where(EscalationRow.case_id == case["id"])).first()
                if stored is None:
                    time.sleep(0.005)
            delays.append(time.monotonic() - passed)
            assert stored is not None
    finally:
        store.close()
    print(f"\nescalation delay after the deadline, tick {TICK_S} s: "
          f"p50 {statistics.median(delays):.3f} s, max {max(delays):.3f} s over {len(delays)} cases")
    assert max(delays) < 1.0
    first, last = (case_of(app_client, keys["supervisor"], c["id"]) for c in (cases[0], cases[-1]))
    assert (last["escalation_level"], last["escalation_step"]) == ("street", 1)
    # the first case's steps kept their own deadlines (an hour each) while the clock moved two hours on
    assert (first["escalation_level"], first["escalation_step"]) == ("city", 3)
    escalated = first
    assert any(a["event"] == "case.escalated" for a in escalated["audit"])
