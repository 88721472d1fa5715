"""Closing the loop through the HTTP API, on the real models and store: operator → supervisor →
department → verification fail → resubmission → a person decides → reply → callback unsatisfied →
reopen → pass → reply → callback → closed; and a department key sees and acts on its own
department's cases only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from classifiers.photos.geo import gcj02_to_wgs84
from tests.support.photos import photo_bytes, street_scene

pytestmark = pytest.mark.integration

PIN = (34.7700, 113.6750)  # the map pin, in the knowledge base's GCJ-02
REPORT = "金水区文化路与红旗路交叉口往北50米的人行道上井盖没了，晚上路过很危险，希望尽快补上井盖"
BOILERPLATE = "您好，您反映的问题已收悉，我们将尽快处理。感谢您的支持！"
FIXED = ("您好！接到工单后，我局市政养护队当日到文化路与红旗路交叉口北侧现场设置围挡，"
         "12月5日上午已在该处人行道补装新井盖并恢复通行，同时对文化路沿线12处井盖进行了排查。感谢您的监督！")
EXPLAINED = ("您好！收到您的回访意见后，我局市政养护队于12月8日上午再次到文化路与红旗路交叉口北侧现场核查，"
             "发现新补装的井盖出现松动，原因是井座周边路面沉降约2厘米。养护队当日拆除原井座，重新浇筑C30混凝土加固，"
             "更换为带防沉降功能的球墨铸铁井盖，并对周边3平方米人行道铺装进行了修补。12月9日复查，井盖平稳无异响，"
             "行人通行正常。我局已将该路段井盖纳入每月巡查范围。感谢您的监督！")


def department_key(client: TestClient, department_id: str, name: str) -> dict[str, str]:
    key = client.app.state.workflow.keys.create("department", name, department_id=department_id)  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {key}"}


def case_of(client: TestClient, headers: dict[str, str], case_id: int) -> dict[str, Any]:
    r = client.get(f"/v1/cases/{case_id}", headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def dispatched_case(client: TestClient, keys: dict[str, dict[str, str]]) -> tuple[int, str]:
    """A report an operator took, a supervisor confirmed and dispatched."""
    r = client.post("/v1/reports", json={"text": REPORT, "lat": PIN[0], "lon": PIN[1]}, headers=keys["operator"])
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    if r.json()["status"] == "received":
        confirmed = client.post(f"/v1/cases/{case_id}/confirm", json={"note": "核实无误"}, headers=keys["supervisor"])
        assert confirmed.status_code == 200, confirmed.text
    case = case_of(client, keys["supervisor"], case_id)
    assert case["status"] == "dispatched"
    assert case["due_by"] is not None
    return case_id, case["lead_department_id"]


def test_the_whole_loop_through_the_api(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    case_id, lead = dispatched_case(client, keys)
    dept = department_key(client, lead, "handler")

    # a courtesy-only reply fails verification and goes back to the department with the reasons
    failed = client.post(f"/v1/cases/{case_id}/disposal", json={"reply": BOILERPLATE, "outcome": "resolved"},
                         headers=dept)
    assert failed.status_code == 200, failed.text
    answer = failed.json()
    assert answer["verification"]["verdict"] == "fail"
    assert any(r["code"] == "verify.no_substance" for r in answer["verification"]["reasons"])
    assert answer["case"]["status"] == "returned"
    assert answer["case"]["return_count"] == 1
    assert answer["attempt"] == 1

    # resubmitted with what was done and an after-photo: no vision backend judges the photo, so a
    # person decides; the supervisor passes it from the review queue
    taken = datetime.now(UTC) + timedelta(minutes=5)
    photo = photo_bytes(street_scene(11), exif_time=taken, gps=gcj02_to_wgs84(*PIN))  # a camera writes WGS-84
    resubmitted = client.post(f"/v1/cases/{case_id}/disposal", headers=dept,
                              data={"reply": FIXED, "outcome": "resolved"},
                              files=[("photos", ("after.jpg", photo, "image/jpeg"))])
    assert resubmitted.status_code == 200, resubmitted.text
    second = resubmitted.json()
    assert second["attempt"] == 2
    assert second["verification"]["verdict"] == "needs_person", second["verification"]
    codes = {r["code"] for r in second["verification"]["reasons"]}
    assert "verify.photo_unjudged" in codes
    assert "verify.no_substance" not in codes
    assert "verify.irrelevant" not in codes
    assert second["case"]["status"] == "disposed"
    queue = client.get("/v1/review-queue", headers=keys["supervisor"]).json()
    assert case_id in [c["id"] for c in queue]
    assert client.post(f"/v1/cases/{case_id}/verification", json={"verdict": "pass"},
                       headers=keys["operator"]).status_code == 403
    decided = client.post(f"/v1/cases/{case_id}/verification", json={"verdict": "pass", "note": "照片显示已补装"},
                          headers=keys["supervisor"])
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "verified"

    # the reply is drafted from the disposal only, edited and sent by the operator
    draft = client.post(f"/v1/cases/{case_id}/reply-draft", headers=keys["operator"])
    assert draft.status_code == 200, draft.text
    drafted = draft.json()
    assert drafted["source"] == "template"
    assert "12月5日上午已在该处人行道补装新井盖" in drafted["text"]
    assert drafted["unsupported"] == []
    sent = client.post(f"/v1/cases/{case_id}/reply", headers=keys["operator"],
                       json={"text": drafted["text"] + "祝您生活愉快。", "drafted": drafted["text"],
                             "source": "template"})
    assert sent.status_code == 200, sent.text
    assert sent.json()["case"]["status"] == "replied"

    # the citizen is unsatisfied: the case reopens to the same department, counted
    unhappy = client.post(f"/v1/cases/{case_id}/callback", json={"satisfaction": "unsatisfied"},
                          headers=keys["operator"])
    assert unhappy.status_code == 422
    assert unhappy.json()["code"] == "callback.note_needed"
    unhappy = client.post(f"/v1/cases/{case_id}/callback", headers=keys["operator"],
                          json={"satisfaction": "unsatisfied", "note": "新井盖有松动，踩上去会响"})
    assert unhappy.status_code == 200, unhappy.text
    assert unhappy.json()["status"] == "reopened"
    assert unhappy.json()["reopen_count"] == 1
    assert unhappy.json()["lead_department_id"] == lead
    assert case_id in [c["id"] for c in client.get("/v1/cases", headers=dept).json()]

    # the department explains what it did about it: verification passes on the text alone
    again = client.post(f"/v1/cases/{case_id}/disposal", json={"reply": EXPLAINED, "outcome": "explained"},
                        headers=dept)
    assert again.status_code == 200, again.text
    assert again.json()["verification"]["verdict"] == "pass", again.json()["verification"]
    assert again.json()["case"]["status"] == "verified"
    text = client.post(f"/v1/cases/{case_id}/reply-draft", headers=keys["operator"]).json()["text"]
    assert "重新浇筑C30混凝土加固" in text
    assert client.post(f"/v1/cases/{case_id}/reply", json={"text": text, "source": "template", "drafted": text},
                       headers=keys["operator"]).status_code == 200
    closed = client.post(f"/v1/cases/{case_id}/callback", json={"satisfaction": "satisfied", "note": "井盖稳了"},
                         headers=keys["operator"])
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert closed.json()["due_by"] is None

    case = case_of(client, keys["supervisor"], case_id)
    assert [d["verdict"] for d in case["disposals"]] == ["fail", "needs_person", "pass"]
    assert case["disposals"][1]["decided_verdict"] == "pass"
    after = case["disposals"][1]["photos"][0]
    assert after["taken_at"] is not None
    shown = client.get(f"/v1/photos/{after['sha256']}", headers=keys["supervisor"])
    assert shown.status_code == 200
    assert shown.content == photo
    assert client.get(f"/v1/photos/{after['sha256']}/thumbnail", headers=dept).status_code == 200
    assert [c["satisfaction"] for c in case["callbacks"]] == ["unsatisfied", "satisfied"]
    assert len(case["replies"]) == 2
    assert case["replies"][0]["text"].endswith("祝您生活愉快。")
    moves = [(a["payload"]["from"], a["payload"]["to"]) for a in case["audit"] if a["event"] == "case.transition"]
    assert moves[-13:] == [
        ("dispatched", "handling"), ("handling", "disposed"), ("disposed", "returned"),
        ("returned", "handling"), ("handling", "disposed"), ("disposed", "verified"), ("verified", "replied"),
        ("replied", "reopened"), ("reopened", "handling"), ("handling", "disposed"), ("disposed", "verified"),
        ("verified", "replied"), ("replied", "closed")]
    events = [a["event"] for a in case["audit"]]
    for event in ("case.disposed", "case.verification", "case.verification_decided", "case.replied", "case.callback"):
        assert event in events


def test_a_department_sees_and_acts_on_its_own_cases_only(client: TestClient,
                                                          keys: dict[str, dict[str, str]]) -> None:
    case_id, lead = dispatched_case(client, keys)
    kb = client.app.state.service.pipeline.models.kb  # type: ignore[attr-defined]
    other_id = next(d for d in kb.departments if d != lead)
    own, other = department_key(client, lead, "own"), department_key(client, other_id, "other")

    assert case_id in [c["id"] for c in client.get("/v1/cases", headers=own).json()]
    assert client.get("/v1/cases", headers=other).json() == []
    assert client.get(f"/v1/cases?department={lead}", headers=other).json() == []
    hidden = client.get(f"/v1/cases/{case_id}", headers=other)
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "case.not_found"
    refused = client.post(f"/v1/cases/{case_id}/disposal", json={"reply": FIXED, "outcome": "resolved"},
                          headers=other)
    assert refused.status_code == 404
    assert case_of(client, keys["supervisor"], case_id)["status"] == "dispatched"  # nothing happened
    for path, body in ((f"/v1/cases/{case_id}/transition", {"to": "handling"}),
                       (f"/v1/cases/{case_id}/confirm", {}), (f"/v1/cases/{case_id}/verification", {"verdict": "pass"}),
                       (f"/v1/cases/{case_id}/reply", {"text": "已处理"}), ("/v1/reports", {"text": REPORT})):
        assert client.post(path, json=body, headers=own).status_code == 403, path
    assert client.get("/v1/export", headers=own).status_code == 403
    # an operator's key may read but not report a disposal
    assert client.post(f"/v1/cases/{case_id}/disposal", json={"reply": FIXED, "outcome": "resolved"},
                       headers=keys["operator"]).status_code == 403


def test_disposals_are_refused_with_reasons_and_lose_nothing(client: TestClient,
                                                             keys: dict[str, dict[str, str]]) -> None:
    case_id, lead = dispatched_case(client, keys)
    dept = department_key(client, lead, "handler")
    bad_outcome = client.post(f"/v1/cases/{case_id}/disposal", json={"reply": FIXED, "outcome": "done"}, headers=dept)
    assert bad_outcome.status_code == 422
    fields = {"reply": FIXED, "outcome": "partly", "commitments": "[{"}  # multipart fields without files
    bad_json = client.post(f"/v1/cases/{case_id}/disposal", headers=dept,
                           files=[(name, (None, value)) for name, value in fields.items()])
    assert bad_json.status_code == 422
    assert "commitments" in bad_json.text
    seven = [("photos", (f"{i}.jpg", photo_bytes(street_scene(i)), "image/jpeg")) for i in range(7)]
    too_many = client.post(f"/v1/cases/{case_id}/disposal", headers=dept, data={"reply": FIXED, "outcome": "resolved"},
                           files=seven)
    assert too_many.status_code == 422
    assert too_many.json()["code"] == "disposal.too_many_photos"
    assert case_of(client, keys["supervisor"], case_id)["disposals"] == []

    # partly resolved with a dated commitment; the date is the end of that day in the city's zone
    partly = client.post(f"/v1/cases/{case_id}/disposal", headers=dept, json={
        "reply": FIXED, "outcome": "partly",
        "commitments": [{"text": "对文化路沿线井盖完成加固", "due": "2026-12-31"}, {"text": "每周巡查"}]})
    assert partly.status_code == 200, partly.text
    reasons = {r["code"]: r for r in partly.json()["verification"]["reasons"]}
    assert partly.json()["verification"]["verdict"] == "fail"
    assert "每周巡查" in reasons["verify.commitment_undated"]["text"]
    stored = case_of(client, keys["supervisor"], case_id)["disposals"][0]
    assert stored["commitments"][0] == {"text": "对文化路沿线井盖完成加固", "due": "2026-12-31T15:59:59+00:00"}

    # not ours: back to review with the department's reason
    returned = client.post(f"/v1/cases/{case_id}/disposal", headers=dept, json={
        "reply": "经核实，该处井盖属于通信公司管线井，不属于我局管养范围，建议转通信管理部门。",
        "outcome": "not_our_remit"})
    assert returned.status_code == 200, returned.text
    assert returned.json()["case"]["status"] == "received"
    assert returned.json()["case"]["needs_review"]
    assert client.post(f"/v1/cases/{case_id}/disposal", json={"reply": FIXED, "outcome": "resolved"},
                       headers=dept).json()["code"] == "disposal.not_with_department"
