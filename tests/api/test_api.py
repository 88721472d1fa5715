"""The HTTP API through FastAPI's TestClient, with the real models and a real SQLite database."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from agent.models import Models
from api.app import create_app
from core.clock import FrozenClock
from core.messages import Refusal
from core.settings import ApiSettings, LLMSettings, Settings
from tests.support.concurrently import concurrently

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

CLEAR = "德化街步行街上好多流动摊贩占道经营，行人都走不过去了"  # confident, not urgent: auto-dispatched
URGENT = "金水路有一段路面塌陷出一个坑，车差点掉进去"


def submit(client: TestClient, headers: dict[str, str], text: str, **extra: Any) -> dict[str, Any]:
    r = client.post("/v1/reports", json={"text": text, **extra}, headers=headers)
    assert r.status_code in (200, 201), r.text
    body: dict[str, Any] = r.json()
    return body


def audit(client: TestClient, headers: dict[str, str], case_id: int) -> list[dict[str, Any]]:
    case = client.get(f"/v1/cases/{case_id}", headers=headers).json()
    return list(case["audit"])


# ---- roles -------------------------------------------------------------------------------------
ENDPOINTS = [  # method, path, body, ability
    ("post", "/v1/reports", {"text": "东风路的路灯坏了"}, "submit"),
    ("get", "/v1/cases", None, "read"),
    ("get", "/v1/review-queue", None, "read"),
    ("get", "/v1/cases/1", None, "read"),
    ("post", "/v1/cases/1/confirm", {}, "review"),
    ("post", "/v1/cases/1/edit", {"changes": {"title": "新标题"}, "reason": "更准确"}, "edit"),
    ("post", "/v1/cases/1/reassign", {"department_id": "city-management", "reason": "x"}, "review"),
    ("post", "/v1/cases/1/reject", {"reason": "spam"}, "review"),
    ("post", "/v1/cases/1/merge", {"into": 2}, "review"),
    ("post", "/v1/cases/1/split", {"report_ids": [1], "reason": "x"}, "review"),
    ("post", "/v1/cases/1/transition", {"to": "accepted"}, "lifecycle"),
    ("post", "/v1/cases/bulk-confirm", {"case_ids": [1]}, "review"),
    ("post", "/v1/cases/bulk-reassign", {"case_ids": [1], "department_id": "city-management", "reason": "x"},
     "review"),
    ("get", "/v1/export", None, "export"),
    ("get", "/v1/mode", None, "read"),
    ("put", "/v1/mode", {"mode": "holiday", "reason": "国庆"}, "mode"),
    ("get", "/v1/departments", None, "read"),
    ("get", "/v1/categories", None, "read"),
]
ABILITY = {"operator": {"submit", "read", "edit"},
           "supervisor": {"submit", "read", "edit", "review", "lifecycle", "mode", "export"},
           "dispatcher": {"submit", "read", "lifecycle"}, "evaluator": {"read", "export"}}


@pytest.mark.parametrize(("method", "path", "body", "ability"), ENDPOINTS, ids=[f"{m} {p}" for m, p, *_ in ENDPOINTS])
def test_every_endpoint_checks_the_key_and_the_role(client: TestClient, keys: dict[str, dict[str, str]],
                                                    method: str, path: str, body: Any, ability: str) -> None:
    submit(client, keys["supervisor"], URGENT)  # urgent: it waits for review, so an operator may edit it
    submit(client, keys["supervisor"], "大学路那边的垃圾桶满了没人清理")
    call = getattr(client, method)
    kwargs = {"json": body} if body is not None else {}
    assert call(path, **kwargs).status_code == 401
    assert call(path, headers={"Authorization": "Bearer nope"}, **kwargs).status_code == 401
    for role, headers in keys.items():
        status = call(path, headers=headers, **kwargs).status_code
        if ability in ABILITY[role]:
            assert status not in (401, 403), (role, status)
        else:
            assert status == 403, (role, status)


# ---- reports, auto-dispatch, idempotency ---------------------------------------------------------
def test_a_confident_report_is_dispatched_and_an_urgent_one_waits_first_in_the_queue(
        client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    h = keys["dispatcher"]
    clear = submit(client, h, CLEAR)
    assert clear["status"] == "dispatched"
    assert not clear["needs_review"]
    urgent = submit(client, h, URGENT)
    assert urgent["urgent"]
    assert urgent["status"] == "received"
    submit(client, h, "我想咨询一下公积金怎么提取")
    queue = client.get("/v1/review-queue", headers=h).json()
    assert queue[0]["id"] == urgent["case_id"]
    assert clear["case_id"] not in [c["id"] for c in queue]
    events = [a["event"] for a in audit(client, keys["supervisor"], clear["case_id"])]
    assert events[-1] == "case.transition"


def test_a_duplicate_returns_the_open_case(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    h = keys["dispatcher"]
    first = submit(client, h, "文化路和农业路交叉口的井盖没了，晚上很危险")
    r = client.post("/v1/reports", json={"text": "文化路农业路口那个井盖丢了，赶紧补上"}, headers=h)
    assert r.status_code == 200
    assert r.json()["duplicate_of"] == first["case_id"]
    assert r.json()["reporter_count"] == 2


def test_the_same_idempotency_key_never_creates_a_second_report(client: TestClient,
                                                                 keys: dict[str, dict[str, str]]) -> None:
    h = {**keys["dispatcher"], "Idempotency-Key": "order-42"}
    first = client.post("/v1/reports", json={"text": "东风路上路灯白天一直亮着"}, headers=h)
    again = client.post("/v1/reports", json={"text": "东风路上路灯白天一直亮着"}, headers=h)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = client.post("/v1/reports", json={"text": "另一件事：小区停水了"}, headers=h)
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency.conflict"
    assert "已用于另一条内容不同的诉求" in other.json()["detail"]
    store = client.app.state.service.pipeline.store  # type: ignore[attr-defined]
    assert store.count("reports") == 1


def test_concurrent_retries_with_one_key_make_one_report(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    h = {**keys["dispatcher"], "Idempotency-Key": "retry-storm"}

    def post() -> tuple[int, int]:
        r = client.post("/v1/reports", json={"text": "嵩山路上的公交站牌被撞歪了"}, headers=h)
        return r.status_code, r.json()["case_id"]

    answers = concurrently(post, 8)
    assert len(set(answers)) == 1, answers
    store = client.app.state.service.pipeline.store  # type: ignore[attr-defined]
    assert store.count("reports") == 1


def test_an_emergency_comes_with_its_protocol_and_tops_the_queue(client: TestClient,
                                                               keys: dict[str, dict[str, str]]) -> None:
    h = keys["operator"]
    urgent = submit(client, h, URGENT)
    emergency = submit(client, h, "惠济区天河路有个老人突然晕倒在路边，叫不醒")
    assert emergency["urgency_level"] == "urgent"
    assert emergency["urgency_reason"]["code"] == "urgency.urgent"
    assert "紧急" in emergency["urgency_reason"]["text"]
    assert emergency["urgency_evidence"]
    assert "120" in {c["number"] for c in emergency["emergency"]["call"]}
    assert emergency["emergency"]["script"]
    queue = client.get("/v1/review-queue", headers=h).json()
    assert [c["id"] for c in queue][:2] == [emergency["case_id"], urgent["case_id"]]
    assert queue[0]["emergency"]["call"][0]["number"] == "120"


def test_keyboard_mash_is_refused_never_stored_and_never_merged(client: TestClient,
                                                                keys: dict[str, dict[str, str]]) -> None:
    h = keys["operator"]
    for _ in range(2):
        r = client.post("/v1/reports", json={"text": "hjkhjk qwerasdf zxvc"}, headers=h)
        assert r.status_code == 422
        assert r.json()["code"] == "report.keyboard_mash"
        assert "乱码" in r.json()["detail"]
    english = client.post("/v1/reports", json={"text": "hjkhjk qwerasdf zxvc"},
                          headers={**h, "Accept-Language": "en-GB,en;q=0.9"})
    assert "random keystrokes" in english.json()["detail"]
    store = client.app.state.service.pipeline.store  # type: ignore[attr-defined]
    assert store.count("reports") == store.count("cases") == 0


def test_bad_input_gets_a_clear_4xx_never_a_500(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    h = keys["operator"]
    r = client.post("/v1/reports", json={"txt": "typo"}, headers=h)
    assert r.status_code == 422
    assert {tuple(e["loc"]) for e in r.json()["detail"]} == {("body", "txt")}
    r = client.post("/v1/reports", json={"text": "！！！？？？"}, headers=h)
    assert r.status_code == 422
    assert r.json()["code"] == "report.no_words"
    assert "可读的文字" in r.json()["detail"]
    r = client.post("/v1/reports", json={"text": "路灯坏了", "lat": 200}, headers=h)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "lat"]
    r = client.post("/v1/reports", content=b"{not json", headers={**h, "Content-Type": "application/json"})
    assert r.status_code == 422
    r = client.post("/v1/reports", json={"text": "长" * 30_000}, headers=h)
    assert r.status_code == 413
    assert r.json()["code"] == "request.too_large"
    assert "20000 字节" in r.json()["detail"]
    assert client.get("/v1/cases/999", headers=h).status_code == 404
    assert client.get("/v1/cases/abc", headers=h).status_code == 422
    assert client.get("/v1/cases?status=lost", headers=h).status_code == 422


# ---- lifecycle -----------------------------------------------------------------------------------
def test_the_lifecycle_allows_only_its_edges(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    h = keys["supervisor"]
    case_id = submit(client, h, URGENT)["case_id"]

    def move(to: str) -> Any:
        return client.post(f"/v1/cases/{case_id}/transition", json={"to": to, "note": f"→{to}"}, headers=h)

    refused = move("closed")
    assert refused.status_code == 409
    assert refused.json()["code"] == "transition.refused"
    assert refused.json()["detail"] == ("「待审核」的案件不能改为「已办结」：从「待审核」只能改为 "
                                        "已受理、已派单、已合并、不予受理。")
    english = client.post(f"/v1/cases/{case_id}/transition", json={"to": "closed"},
                          headers={**h, "Accept-Language": "en"})
    assert "from Received it can become Accepted, Dispatched, Merged, Rejected" in english.json()["detail"]
    for status in ("accepted", "dispatched", "handling", "disposed", "verified", "replied", "closed", "reopened",
                   "handling"):
        r = move(status)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == status, r.text
    assert move("verified").status_code == 409
    transitions = [a for a in audit(client, h, case_id) if a["event"] == "case.transition"]
    assert [(t["payload"]["from"], t["payload"]["to"]) for t in transitions][-3:] == [
        ("replied", "closed"), ("closed", "reopened"), ("reopened", "handling")]
    assert all(t["actor"] == "supervisor:test-supervisor" for t in transitions)


def test_overdue_cases_are_listed(client: TestClient, keys: dict[str, dict[str, str]],
                                  frozen_clock: FrozenClock) -> None:
    h = keys["supervisor"]
    late = submit(client, h, URGENT)["case_id"]
    submit(client, h, CLEAR)
    assert client.get("/v1/cases?overdue=true", headers=h).json() == []
    resolve_by = next(c["resolve_by"] for c in client.get("/v1/cases", headers=h).json() if c["id"] == late)
    frozen_clock.set(datetime.fromisoformat(resolve_by) + timedelta(minutes=1))
    overdue = client.get("/v1/cases?overdue=true", headers=h).json()
    assert [c["id"] for c in overdue] == [late]
    assert overdue[0]["overdue"]


# ---- review ----------------------------------------------------------------------------------------
def test_confirm_edit_and_reassign_leave_a_full_audit_trail(client: TestClient,
                                                            keys: dict[str, dict[str, str]]) -> None:
    h = keys["supervisor"]
    case_id = submit(client, h, URGENT)["case_id"]
    r = client.post(f"/v1/cases/{case_id}/edit", json={"changes": {"priority": "high", "title": "金水路路面塌陷"},
                                                      "reason": "现场已围挡"}, headers=h)
    assert r.status_code == 200
    assert r.json()["priority"] == "high"
    assert r.json()["before"]["priority"] == "urgent"
    r = client.post(f"/v1/cases/{case_id}/reassign", json={"department_id": "urban-rural-construction",
                                                          "reason": "施工导致"}, headers=h)
    assert r.status_code == 200
    assert r.json()["lead_department_id"] == "urban-rural-construction"
    r = client.post(f"/v1/cases/{case_id}/confirm", json={"note": "核实无误"}, headers=h)
    assert r.status_code == 200
    assert r.json()["status"] == "dispatched"
    assert not r.json()["needs_review"]
    trail = {a["event"]: a for a in audit(client, h, case_id)}
    edited = [a for a in audit(client, h, case_id) if a["event"] == "case.edited"]
    title_before = next(e["payload"]["before"] for e in edited if e["payload"]["field"] == "title")
    assert {(e["payload"]["field"], e["payload"]["before"], e["payload"]["after"]) for e in edited} == {
        ("priority", "urgent", "high"), ("title", title_before, "金水路路面塌陷")}
    assert all(e["payload"]["reason"] == "现场已围挡" and e["actor"] == "supervisor:test-supervisor" for e in edited)
    assert trail["case.reassigned"]["payload"] == {"before": "city-management", "after": "urban-rural-construction",
                                                  "reason": "施工导致"}
    assert trail["case.confirmed"]["payload"]["lead_department_id"] == "urban-rural-construction"
    labels = client.app.state.service.pipeline.store.feedback_labels("lead_department_id")  # type: ignore[attr-defined]
    assert labels
    assert labels[-1][2] == "urban-rural-construction"
    again = client.post(f"/v1/cases/{case_id}/confirm", json={}, headers=h)
    assert again.status_code == 422
    assert again.json()["code"] == "review.not_waiting"
    assert "只有待审核的案件可以确认" in again.json()["detail"]


def test_operators_edit_drafts_only(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    case_id = submit(client, keys["operator"], CLEAR)["case_id"]  # auto-dispatched
    r = client.post(f"/v1/cases/{case_id}/edit", json={"changes": {"title": "x"}, "reason": "y"},
                    headers=keys["operator"])
    assert r.status_code == 403
    assert r.json()["code"] == "edit.operator_drafts_only"
    assert "话务员只能修改待审核的草稿" in r.json()["detail"]
    h = keys["supervisor"]
    for changes, code in (({"lead_department_id": "nobody"}, "edit.unknown_department"),
                          ({"category_id": "municipal"}, "edit.unknown_category")):
        r = client.post(f"/v1/cases/{case_id}/edit", json={"changes": changes, "reason": "y"}, headers=h)
        assert r.status_code == 422, r.json()
        assert r.json()["code"] == code, r.json()
    r = client.get("/v1/cases", params={"status": "done"}, headers=h)
    assert r.status_code == 422
    assert "没有「done」这个状态" in r.json()["detail"]


def test_reject_and_merge(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    h = keys["supervisor"]
    a = submit(client, h, "金水区文化路和东风路交叉口的井盖没了，很危险")["case_id"]
    b = submit(client, h, "二七区德化街步行街的垃圾桶满了没人清理，臭气熏天")["case_id"]
    c = submit(client, h, "我想咨询一下社保卡丢了怎么补办")["case_id"]
    r = client.post(f"/v1/cases/{c}/reject", json={"reason": "not_our_remit", "note": "转人社"}, headers=h)
    assert r.status_code == 200
    assert r.json()["status"] == "rejected"
    r = client.post(f"/v1/cases/{c}/reject", json={"reason": "bogus"}, headers=h)
    assert r.status_code == 422
    cases = {x["id"]: x for x in client.get("/v1/cases", headers=h).json()}
    assert cases[a]["emergency"] is None or cases[a]["urgent"], "an emergency protocol only on urgent cases"
    r = client.post(f"/v1/cases/{b}/merge", json={"into": a, "reason": "同一问题"}, headers=h)
    assert r.status_code == 409
    assert r.json()["code"] in ("merge.different_district", "merge.different_street")
    assert f"#{b}" in r.json()["detail"], "the warning names both cases"
    assert f"#{a}" in r.json()["detail"], "the warning names both cases"
    before = client.get(f"/v1/cases/{b}", headers=h).json()
    assert before["status"] != "merged", "nothing moved"
    assert before["merged_into"] is None, "nothing moved"
    r = client.post(f"/v1/cases/{b}/merge", json={"into": a, "reason": "同一问题", "confirm_different_place": True},
                    headers=h)
    assert r.status_code == 200
    assert r.json()["status"] == "merged"
    assert r.json()["reporter_count"] == 2
    merged = client.get(f"/v1/cases/{a}", headers=h).json()
    assert len(merged["reports"]) == 2
    assert client.get(f"/v1/cases/{b}", headers=h).json()["merged_into"] == a, "the merged case links to its target"
    assert client.post(f"/v1/cases/{a}/merge", json={"into": a}, headers=h).status_code == 422


def test_split_takes_reports_into_a_new_case(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    h = keys["supervisor"]
    first = submit(client, h, "文化路和农业路交叉口的井盖没了，晚上很危险")
    second = submit(client, h, "文化路农业路口那个井盖丢了，赶紧补上")
    assert second["duplicate_of"] == first["case_id"], "premise: the second report was merged"
    case_id = first["case_id"]
    r = client.post(f"/v1/cases/{case_id}/split", json={"report_ids": [second["report_id"]], "reason": "另一个井盖"},
                    headers=h)
    assert r.status_code == 200, r.text
    new = r.json()["new_case"]
    assert r.json()["case"]["reporter_count"] == 1
    assert new["reporter_count"] == 1
    assert new["status"] == "received"
    assert new["needs_review"]
    detail = client.get(f"/v1/cases/{new['id']}", headers=h).json()
    assert [rep["id"] for rep in detail["reports"]] == [second["report_id"]]
    assert "case.split_from" in [a["event"] for a in detail["audit"]]
    assert "case.split" in [a["event"] for a in audit(client, h, case_id)]
    bad = client.post(f"/v1/cases/{case_id}/split", json={"report_ids": [first["report_id"]], "reason": "x"},
                      headers=h)
    assert bad.status_code == 422
    assert "至少要保留一条诉求" in bad.json()["detail"]
    bad = client.post(f"/v1/cases/{case_id}/split", json={"report_ids": [999], "reason": "x"}, headers=h)
    assert bad.status_code == 422
    assert bad.json()["code"] == "split.not_in_case"
    assert "不在案件" in bad.json()["detail"]
    missing = client.get("/v1/cases/99999", headers=h)
    assert missing.status_code == 404
    assert missing.json() == {"detail": "案件 #99999 不存在：请检查案件编号。",
                                                             "code": "case.not_found"}


def test_bulk_actions_report_each_case(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    h = keys["supervisor"]
    ids = [submit(client, h, text)["case_id"] for text in (URGENT, "小区楼道里闻到很大的煤气味，好像燃气管道漏气了")]
    r = client.post("/v1/cases/bulk-reassign", json={"case_ids": [*ids, 999], "department_id": "traffic-police",
                                                     "reason": "交警先处置"}, headers=h)
    assert r.json()["done"] == ids, r.json()
    assert "999" in r.json()["failed"], r.json()
    r = client.post("/v1/cases/bulk-confirm", json={"case_ids": ids}, headers=h)
    assert r.status_code == 200
    assert r.json()["done"] == ids
    assert all(client.get(f"/v1/cases/{i}", headers=h).json()["status"] == "dispatched" for i in ids)


# ---- mode, reference data, personal data ------------------------------------------------------------
def test_a_mode_switch_tightens_new_deadlines_and_is_logged(client: TestClient,
                                                            keys: dict[str, dict[str, str]]) -> None:
    h = keys["supervisor"]
    before = submit(client, h, "楼下饭店油烟太大，熏得没法开窗")
    r = client.put("/v1/mode", json={"mode": "emergency", "reason": "暴雨红色预警"}, headers=h)
    assert r.status_code == 200
    assert r.json() == {"mode": "emergency", "before": None, "name": "应急", "grid_id": None,
                        "auto_dispatch_threshold": r.json()["auto_dispatch_threshold"]}
    after = submit(client, h, "纬五路小区门口饭店油烟很大，熏得人头疼")
    assert after["deadlines"]["mode"] == "emergency"
    span = {case["case_id"]: (_t(case["deadlines"]["resolve_by"]) - _t(case["deadlines"]["respond_by"]))
            for case in (before, after)}
    assert span[after["case_id"]] < span[before["case_id"]]
    assert client.get("/v1/mode", headers=h).json()["mode"] == "emergency"
    assert client.put("/v1/mode", json={"mode": "party", "reason": "x"}, headers=h).status_code == 422
    workflow = client.app.state.workflow  # type: ignore[attr-defined]
    assert workflow.city.current() == "emergency"


def _t(value: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(value)


def test_reporter_contact_is_shown_only_to_roles_that_need_it(client: TestClient,
                                                              keys: dict[str, dict[str, str]]) -> None:
    case_id = submit(client, keys["dispatcher"], "东风路路灯不亮", contact="13812345678")["case_id"]
    seen = {role: client.get(f"/v1/cases/{case_id}", headers=h).json()["reports"][0]["contact"]
            for role, h in keys.items()}
    assert seen == {"operator": "13812345678", "supervisor": "13812345678", "dispatcher": "[已隐藏]",
                    "evaluator": "[已隐藏]"}
    exported = client.get("/v1/export", headers=keys["evaluator"])
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in exported.text.splitlines()]
    assert [r["id"] for r in rows] == [case_id]
    assert rows[0]["reports"][0]["text"] == "东风路路灯不亮"
    assert "13812345678" not in exported.text


# ---- Open311 ------------------------------------------------------------------------------------------
def test_open311_round_trip_in_json_and_xml(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    services = client.get("/open311/v2/services.json").json()
    assert {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"} <= set(services[0])
    assert any(s["service_code"] == "municipal.manhole-cover" for s in services)
    xml = ElementTree.fromstring(client.get("/open311/v2/services.xml").content)
    assert xml.tag == "services"
    assert len(xml) == len(services)
    key = keys["dispatcher"]["Authorization"].removeprefix("Bearer ")
    r = client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "municipal.manhole-cover", "description": "花园路上的井盖碎了",
        "lat": "34.78", "long": "113.68", "address_string": "花园路", "phone": "13812345678"})
    assert r.status_code == 200, r.text
    (created,) = r.json()
    request_id = created["service_request_id"]
    assert "主办" in created["service_notice"]
    (one,) = client.get(f"/open311/v2/requests/{request_id}.json", params={"api_key": key}).json()
    assert one["status"] == "open"
    assert one["service_code"] == "municipal.manhole-cover"
    assert one["agency_responsible"] == "郑州市城市管理局"
    assert one["expected_datetime"]
    assert (one["lat"], one["long"]) == (pytest.approx(34.78, abs=1e-6), pytest.approx(113.68, abs=1e-6))
    stored = client.get(f"/v1/cases/{one['service_request_id']}", headers=keys["supervisor"]).json()["place"]
    assert stored["lat"] != pytest.approx(34.78, abs=1e-4)  # kept as GCJ-02, like the bundled places
    listed = client.get("/open311/v2/requests.json", params={"api_key": key, "status": "open"}).json()
    assert request_id in [x["service_request_id"] for x in listed]
    xml = ElementTree.fromstring(client.get(f"/open311/v2/requests/{request_id}.xml", params={"api_key": key}).content)
    assert xml.tag == "service_requests"
    assert xml.findtext("request/agency_responsible") == "郑州市城市管理局"
    bad = client.post("/open311/v2/requests.xml", data={"api_key": key, "service_code": "nope", "description": "x"})
    error = ElementTree.fromstring(bad.content)
    assert bad.status_code == 400
    assert error.tag == "errors"
    assert "unknown service_code" in (error.findtext("error/description") or "")
    assert client.post("/open311/v2/requests.json", data={"description": "x"}).status_code == 401


def test_health_and_metrics(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    submit(client, keys["dispatcher"], CLEAR)
    assert client.get("/healthz").json()["status"] == "ok"
    text = client.get("/metrics").text
    assert 'gridtriage_http_requests_total{method="POST",route="/v1/reports",status="201"} 1.0' in text
    assert 'gridtriage_cases{status="dispatched"} 1.0' in text
    assert "gridtriage_http_request_seconds_bucket" in text


def test_the_rate_limit_answers_429_with_retry_after(tmp_path: Path, models: Models) -> None:
    settings = Settings(db=str(tmp_path / "rl.db"), llm=LLMSettings(provider="none"),
                        api=ApiSettings(rate_limit_per_minute=3))
    with TestClient(create_app(settings, models=models)) as c:
        h = {"Authorization": f"Bearer {c.app.state.workflow.keys.create('evaluator', 'e')}"}  # type: ignore[attr-defined]
        codes = [c.get("/v1/cases", headers=h).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200]
        assert codes[3] == 429
        assert int(c.get("/v1/cases", headers=h).headers["Retry-After"]) >= 1


def test_a_key_with_its_own_rate_limit_is_held_to_that_one(tmp_path: Path, models: Models) -> None:
    settings = Settings(db=str(tmp_path / "own.db"), llm=LLMSettings(provider="none"),
                        api=ApiSettings(rate_limit_per_minute=3))
    with TestClient(create_app(settings, models=models)) as c:
        keys = c.app.state.workflow.keys  # type: ignore[attr-defined]
        trusted = {"Authorization": f"Bearer {keys.create('evaluator', 'integration', rate_limit_per_minute=10)}"}
        codes = [c.get("/v1/cases", headers=trusted).status_code for _ in range(12)]
        assert codes[:10] == [200] * 10
        assert codes[10] == 429
        with pytest.raises(Refusal, match="不小于 1"):
            keys.create("evaluator", "broken", rate_limit_per_minute=0)


def test_web_pages_open311_and_logins_share_the_rate_limit_and_say_when_to_retry(tmp_path: Path,
                                                                                 models: Models) -> None:
    settings = Settings(db=str(tmp_path / "rl.db"), llm=LLMSettings(provider="none"),
                        api=ApiSettings(rate_limit_per_minute=3))
    with TestClient(create_app(settings, models=models), follow_redirects=False) as c:
        key = c.app.state.workflow.keys.create("evaluator", "e")  # type: ignore[attr-defined]
        visitor = [c.get("/ui/login") for _ in range(5)]
        assert [r.status_code for r in visitor][:3] == [200, 200, 200]
        assert visitor[4].status_code == 429
        assert int(visitor[4].headers["Retry-After"]) >= 1
        assert "秒后再试" in visitor[4].text  # a page for a person
        open311 = [c.get(f"/open311/v2/requests.json?api_key={key}") for _ in range(5)]
        assert open311[4].status_code == 429
        assert int(open311[4].headers["Retry-After"]) >= 1
    with TestClient(create_app(settings, models=models), follow_redirects=False) as c:
        logins = [c.post("/ui/login", data={"username": "x", "password": "y" * 9}) for _ in range(25)]
        refused = [r for r in logins if r.status_code == 429]
        assert refused
        assert all(int(r.headers["Retry-After"]) >= 1 for r in refused)
