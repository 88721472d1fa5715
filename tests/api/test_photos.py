"""Photos through the HTTP API (multipart POST, photo and thumbnail downloads), with real OCR."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.photos import bomb_png, photo_bytes, render_sign, street_scene

pytestmark = pytest.mark.integration


def test_multipart_report_with_a_photo_then_the_photo_and_thumbnail(client: TestClient,
                                                                    keys: dict[str, dict[str, str]]) -> None:
    sign = photo_bytes(render_sign("井盖缺失 注意安全"))
    r = client.post("/v1/reports", headers=keys["operator"], data={"text": "麻烦你们来看一下这个情况"},
                    files=[("photos", ("sign.jpg", sign, "image/jpeg"))])
    assert r.status_code == 201, r.text
    body = r.json()
    assert "manhole" in body["category"]["id"]
    photo = body["photos"][0]
    assert photo["filename"] == "sign.jpg"
    assert "井盖" in photo["ocr_text"]
    assert "井盖" in body["photo_text"]
    got = client.get(f"/v1/photos/{photo['sha256']}", headers=keys["supervisor"])  # may see personal data
    assert got.status_code == 200
    assert got.content == sign
    assert got.headers["content-type"] == "image/jpeg"
    thumb = client.get(f"/v1/photos/{photo['sha256']}/thumbnail", headers=keys["evaluator"])
    assert thumb.status_code == 200
    assert thumb.headers["content-type"] == "image/jpeg"
    assert len(thumb.content) < len(sign)
    case = client.get(f"/v1/cases/{body['case_id']}", headers=keys["operator"]).json()
    assert case["reports"][0]["photos"][0]["sha256"] == photo["sha256"]
    assert client.get(f"/v1/photos/{photo['sha256']}").status_code == 401
    assert client.get(f"/v1/photos/{'0' * 64}", headers=keys["operator"]).status_code == 404


def test_a_photo_only_report_is_never_auto_dispatched(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    r = client.post("/v1/reports", headers=keys["operator"],
                    files=[("photos", ("scene.jpg", photo_bytes(street_scene(5)), "image/jpeg"))])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "received"
    assert body["needs_review"]
    assert body["category_source"] == "none"
    queue = client.get("/v1/review-queue", headers=keys["operator"]).json()
    assert body["case_id"] in [c["id"] for c in queue]


def test_bad_uploads_get_a_clear_4xx_and_store_nothing(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    bomb = client.post("/v1/reports", headers=keys["operator"], data={"text": "路灯坏了"},
                       files=[("photos", ("big.png", bomb_png(), "image/png"))])
    assert bomb.status_code == 422
    assert bomb.json()["code"] == "report.photo"
    assert bomb.json()["detail"].startswith("第 1 张照片（big.png）：")
    assert "百万像素" in bomb.json()["detail"]
    many = client.post("/v1/reports", headers=keys["operator"], data={"text": "路灯坏了"},
                       files=[("photos", (f"{i}.jpg", photo_bytes(street_scene(i)), "image/jpeg")) for i in range(7)])
    assert many.status_code == 422
    assert "最多 6 张" in many.json()["detail"]
    wrong_field = client.post("/v1/reports", headers=keys["operator"], data={"text": "路灯坏了"},
                              files=[("picture", ("a.jpg", photo_bytes(street_scene(1)), "image/jpeg"))])
    assert wrong_field.status_code == 422
    assert "photos" in str(wrong_field.json()["detail"])
    unknown = client.post("/v1/reports", headers=keys["operator"], data={"text": "路灯坏了", "colour": "red"})
    assert unknown.status_code == 422
    store = client.app.state.service.pipeline.store  # type: ignore[attr-defined]
    assert store.count("reports") == 0
    assert store.count("photos") == 0


def test_idempotent_retry_of_a_photo_report_replays_the_first_answer(client: TestClient,
                                                                     keys: dict[str, dict[str, str]]) -> None:
    headers = {**keys["operator"], "Idempotency-Key": "photo-1"}
    files = [("photos", ("s.jpg", photo_bytes(street_scene(9)), "image/jpeg"))]
    first = client.post("/v1/reports", headers=headers, data={"text": "路边垃圾堆了好几天"}, files=files)
    again = client.post("/v1/reports", headers=headers, data={"text": "路边垃圾堆了好几天"}, files=files)
    assert first.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["case_id"] == first.json()["case_id"]
    other = [("photos", ("t.jpg", photo_bytes(street_scene(10)), "image/jpeg"))]
    conflict = client.post("/v1/reports", headers=headers, data={"text": "路边垃圾堆了好几天"}, files=other)
    assert conflict.status_code == 409
