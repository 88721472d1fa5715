"""Input that once answered 500 or half-wrote an edit (issue 14), through the HTTP API on the real
models and a real SQLite database: each answers a clear 4xx and stores nothing it refused."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from agent.models import Models
from api.app import create_app
from api.schemas import MAX_ID
from core.settings import REPORT_MAX_CHARS, ApiSettings, LLMSettings, Settings
from tests.api.test_api import submit
from tests.support.web import add_users, log_in, token_of

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

HUGE = 100000000000000000000  # above any database integer
MANHOLE = "金水区文化路和东风路交叉口的井盖没了，很危险"
GARBAGE = "二七区德化街步行街的垃圾桶满了没人清理，臭气熏天"


def test_ids_and_offsets_beyond_the_database_are_refused_not_a_500(client: TestClient,
                                                                    keys: dict[str, dict[str, str]]) -> None:
    h = keys["supervisor"]
    case_id = submit(client, h, MANHOLE)["case_id"]
    bodies: dict[str, dict[str, Any]] = {"confirm": {}, "edit": {"changes": {"title": "x"}, "reason": "r"},
                                         "reassign": {"department_id": "city-management", "reason": "r"},
                                         "reject": {"reason": "spam"}, "merge": {"into": case_id},
                                         "split": {"report_ids": [1], "reason": "r"}, "transition": {"to": "accepted"}}
    r = client.get(f"/v1/cases/{HUGE}", headers=h)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["path", "case_id"]
    assert r.json()["detail"][0]["msg"].startswith(f"「case_id」不能大于 {MAX_ID}")
    english = client.get(f"/v1/cases/{HUGE}", headers={**h, "Accept-Language": "en"}).json()["detail"][0]["msg"]
    assert "less than or equal" in english
    assert client.get(f"/v1/cases/{MAX_ID}", headers=h).status_code == 404, "a well-formed id that is not there"
    assert client.get(f"/v1/cases/{MAX_ID + 1}", headers=h).status_code == 422
    for action, body in bodies.items():
        r = client.post(f"/v1/cases/{HUGE}/{action}", json=body, headers=h)
        assert r.status_code == 422, (action, r.text)
    for path, body in ((f"/v1/cases/{case_id}/merge", {"into": HUGE}),
                       (f"/v1/cases/{case_id}/split", {"report_ids": [HUGE], "reason": "r"}),
                       ("/v1/cases/bulk-confirm", {"case_ids": [HUGE]}),
                       ("/v1/cases/bulk-reassign", {"case_ids": [HUGE], "department_id": "city-management",
                                                    "reason": "r"})):
        r = client.post(path, json=body, headers=h)
        assert r.status_code == 422, (path, r.text)
    assert client.get("/v1/cases", params={"offset": HUGE}, headers=h).status_code == 422
    assert client.get("/v1/cases", params={"offset": 2**63 - 1}, headers=h).json() == []
    for age in ("1e300", "inf", "nan"):
        r = client.get("/v1/review-queue", params={"older_than_minutes": age}, headers=h)
        assert r.status_code == 422, (age, r.text)
        assert "「older_than_minutes」" in r.json()["detail"][0]["msg"]
    assert client.get("/v1/review-queue", params={"older_than_minutes": 60}, headers=h).status_code == 200


def test_open311_ids_beyond_the_database_are_not_found(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    key = keys["dispatcher"]["Authorization"].removeprefix("Bearer ")
    for request_id in (str(HUGE), "²", "0"):
        r = client.get(f"/open311/v2/requests/{request_id}.json", params={"api_key": key})
        assert r.status_code == 404, (request_id, r.text)
        assert r.json()[0]["code"] == 404
    r = client.get("/open311/v2/requests.json", params={"api_key": key, "service_request_id": f"{HUGE},²,1"})
    assert r.status_code == 200
    assert r.json() == []


@pytest.mark.parametrize("changes", [{"urgent": "yes"}, {"urgent": 2}, {"title": {}}, {"title": []}, {"title": None},
                                     {"category_id": ["a"]}, {"summary": 12345}],
                         ids=["urgent-yes", "urgent-2", "title-object", "title-list", "title-null", "category-list",
                              "summary-number"])
def test_an_edit_with_a_wrong_type_is_refused_naming_the_field(client: TestClient, keys: dict[str, dict[str, str]],
                                                               changes: dict[str, Any]) -> None:
    h = keys["supervisor"]
    case_id = submit(client, h, MANHOLE)["case_id"]
    (field,) = changes
    r = client.post(f"/v1/cases/{case_id}/edit", json={"changes": changes, "reason": "r"}, headers=h)
    assert r.status_code == 422, r.text
    (error,) = r.json()["detail"]  # the schema's refusal, as documented for the edit body
    assert error["loc"] == ["body", "changes", field]
    assert f"changes.{field}" in error["msg"]
    assert client.get(f"/v1/cases/{case_id}", headers=h).json()["title"] != changes.get("title")


def test_a_refused_edit_stores_nothing_of_its_other_changes(client: TestClient,
                                                             keys: dict[str, dict[str, str]]) -> None:
    h = keys["supervisor"]
    case_id = submit(client, h, MANHOLE)["case_id"]
    before = client.get(f"/v1/cases/{case_id}", headers=h).json()
    store = client.app.state.service.pipeline.store  # type: ignore[attr-defined]
    feedback = store.count("feedback")
    r = client.post(f"/v1/cases/{case_id}/edit", json={"changes": {"title": "X", "urgent": "yes"}, "reason": "r"},
                    headers=h)
    assert r.status_code == 422, r.text
    after = client.get(f"/v1/cases/{case_id}", headers=h).json()
    assert after["title"] == before["title"] != "X"
    assert after["audit"] == before["audit"]
    assert store.count("feedback") == feedback
    r = client.post(f"/v1/cases/{case_id}/edit", json={"changes": {"title": "X", "urgent": True}, "reason": "r"},
                    headers=h)
    assert r.status_code == 200, r.text
    assert (r.json()["title"], r.json()["urgent"]) == ("X", True)
    assert store.count("feedback") == feedback + 2


def test_json_nested_too_deep_is_refused(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    h = {**keys["operator"], "Content-Type": "application/json"}
    nested = ("[" * 5000 + "]" * 5000).encode()
    r = client.post("/v1/reports", content=nested, headers=h)
    assert r.status_code == 422, r.text
    deep = b'{"description": ' + nested + b"}"
    r = client.post("/open311/v2/requests.json", content=deep, headers={**keys["operator"],
                                                                        "Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    store = client.app.state.service.pipeline.store  # type: ignore[attr-defined]
    assert store.count("reports") == 0


def test_open311_date_filters_take_naive_times_and_merged_cases(client: TestClient,
                                                                keys: dict[str, dict[str, str]]) -> None:
    h = keys["supervisor"]
    key = keys["dispatcher"]["Authorization"].removeprefix("Bearer ")
    a = submit(client, h, MANHOLE)["case_id"]
    b = submit(client, h, GARBAGE)["case_id"]
    r = client.post(f"/v1/cases/{b}/merge", json={"into": a, "confirm_different_place": True}, headers=h)
    assert r.status_code == 200, "premise: case b is merged and keeps no reports"
    for start in ("2020-01-01T00:00:00", "2020-01-01T00:00:00Z", "2020-01-01T08:00:00+08:00"):
        r = client.get("/open311/v2/requests.json", params={"api_key": key, "start_date": start})
        assert r.status_code == 200, (start, r.text)
        assert [x["service_request_id"] for x in r.json()] == [str(a)]
    r = client.get("/open311/v2/requests.json", params={"api_key": key, "end_date": "2020-01-01T00:00:00"})
    assert r.json() == []


def test_a_naive_open311_date_is_the_citys_local_time(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    key = keys["dispatcher"]["Authorization"].removeprefix("Bearer ")
    case_id = submit(client, keys["supervisor"], MANHOLE)["case_id"]
    (row,) = client.get(f"/open311/v2/requests/{case_id}.json", params={"api_key": key}).json()
    city = ZoneInfo(client.app.state.service.pipeline.models.kb.meta.timezone)  # type: ignore[attr-defined]
    assert city.utcoffset(datetime(2026, 1, 1)), "premise: the city is not on UTC, so the reading matters"
    local = datetime.fromisoformat(row["requested_datetime"]).astimezone(city).replace(tzinfo=None)
    just_before = (local - timedelta(minutes=1)).isoformat()
    since = client.get("/open311/v2/requests.json", params={"api_key": key, "start_date": just_before}).json()
    assert [x["service_request_id"] for x in since] == [str(case_id)]
    until = client.get("/open311/v2/requests.json", params={"api_key": key, "end_date": just_before}).json()
    assert until == []


@pytest.mark.parametrize(("lat", "lon"), [("inf", "113.6"), ("nan", "113.6"), ("1e308", "113.6"), ("34.7", "-inf"),
                                          ("34.7", "181")])
def test_open311_refuses_coordinates_off_the_globe(client: TestClient, keys: dict[str, dict[str, str]],
                                                   lat: str, lon: str) -> None:
    key = keys["dispatcher"]["Authorization"].removeprefix("Bearer ")
    r = client.post("/open311/v2/requests.json", data={"api_key": key, "description": MANHOLE, "lat": lat,
                                                       "long": lon})
    assert r.status_code == 400, r.text
    assert "lat" in r.json()[0]["description"]
    assert client.app.state.service.pipeline.store.count("reports") == 0  # type: ignore[attr-defined]


def test_a_category_filter_takes_wildcards_literally(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    h = keys["supervisor"]
    submit(client, h, MANHOLE)
    assert client.get("/v1/cases", headers=h).json(), "premise: there is a case"
    for pattern in ("%", "_", "%%", "\\", "municipal%"):
        r = client.get("/v1/cases", params={"category": pattern}, headers=h)
        assert r.status_code == 200
        assert r.json() == [], pattern


def test_the_report_schema_allows_the_text_intake_takes(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]["ReportCreate"]
    assert schema["properties"]["text"]["maxLength"] == REPORT_MAX_CHARS == Settings().max_report_chars


def test_open311_429_carries_retry_after(tmp_path: Path, models: Models) -> None:
    settings = Settings(db=str(tmp_path / "rl.db"), llm=LLMSettings(provider="none"),
                        api=ApiSettings(rate_limit_per_minute=2))
    with TestClient(create_app(settings, models=models)) as c:
        key = c.app.state.workflow.keys.create("evaluator", "e")  # type: ignore[attr-defined]
        answers = [c.get("/open311/v2/requests.json", params={"api_key": key}) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert int(answers[2].headers["Retry-After"]) >= 1
        assert json.loads(answers[2].content)[0]["code"] == 429
        answer = c.post("/open311/v2/requests.json", data={"api_key": key, "description": MANHOLE})
        assert answer.status_code == 429
        assert int(answer.headers["Retry-After"]) >= 1


def test_an_unexpected_error_answers_a_counted_json_500_with_a_logged_request_id(
        client: TestClient, keys: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(client.app.state.cases, "queue", broken)  # type: ignore[attr-defined]
    with caplog.at_level(logging.ERROR, logger="gridtriage.api"):
        r = client.get("/v1/cases", headers=keys["supervisor"])
    assert r.status_code == 500
    body = r.json()
    assert body["code"] == "internal"
    assert body["request_id"] in body["detail"]
    assert "服务器内部出错" in body["detail"]
    assert r.headers["X-Request-ID"] == body["request_id"]
    logged = [rec for rec in caplog.records if body["request_id"] in rec.getMessage()]
    assert len(logged) == 1
    assert logged[0].exc_info is not None
    assert "disk on fire" in str(logged[0].exc_info[1])
    metrics = client.get("/metrics").text
    assert 'gridtriage_http_requests_total{method="GET",route="/v1/cases",status="500"} 1.0' in metrics


def test_the_pages_refuse_ids_beyond_the_database(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    case_id = submit(client, keys["supervisor"], MANHOLE)["case_id"]
    add_users(client, "li")
    client.follow_redirects = False  # as the pages' tests log in
    log_in(client, "li")
    token = token_of(client, "/ui/review")
    assert client.get(f"/ui/cases/{HUGE}").status_code == 422
    for path, form in ((f"/ui/cases/{HUGE}/act", {"action": "confirm"}),
                       (f"/ui/cases/{case_id}/act", {"action": "merge", "into": str(HUGE)}),
                       (f"/ui/intake/{HUGE}/finish", {}),
                       (f"/ui/intake/{case_id}/merge", {"into": str(HUGE)})):
        r = client.post(path, data={**form, "csrf_token": token})
        assert r.status_code == 422, (path, r.text)


def test_an_export_keeps_each_case_on_one_line_whatever_reads_it(client: TestClient,
                                                                 keys: dict[str, dict[str, str]]) -> None:
    """Unicode line separators in a report (pasted from a web page, say) are escaped, so that a reader
    splitting on any line break (Python's str.splitlines does) still gets one case per line."""
    h = keys["supervisor"]
    submit(client, h, "金水区文化路\u2028井盖没了\u2029很危险\x85请尽快处理")
    submit(client, h, "二七区德化街的垃圾桶满了没人清理")
    r = client.get("/v1/export", headers=h)
    assert r.status_code == 200
    lines = r.text.splitlines()
    assert len(lines) == 2
    assert any("\u2028井盖没了\u2029很危险\x85" in json.dumps(json.loads(line), ensure_ascii=False) for line in lines)


def test_an_export_of_an_unknown_status_is_refused_before_anything_streams(client: TestClient,
                                                                           keys: dict[str, dict[str, str]]) -> None:
    h = keys["supervisor"]
    for status in ("done", "%", "\x00"):
        r = client.get("/v1/export", params={"status": status}, headers=h)
        assert r.status_code == 422, (status, r.text)
        assert r.json()["code"] == "transition.unknown_status"
    assert client.get("/v1/export", params={"status": "received"}, headers=h).status_code == 200
