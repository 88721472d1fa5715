"""`gridtriage serve` as a real process on loopback, with a key made by `gridtriage keys create`."""

from __future__ import annotations

import io
import select
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from eval.server import free_port, start_server
from tests.support.cli import run
from tests.support.concurrently import concurrently

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # the module's server loads the models before the first test


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    folder = tmp_path_factory.mktemp("server")
    db = str(folder / "cases.db")
    keys = {}
    for role in ("dispatcher", "supervisor"):
        proc = run("keys", "create", "--role", role, "--name", f"e2e-{role}", "--db", db)
        assert proc.returncode == 0, proc.stderr
        keys[role] = proc.stdout.strip()
        assert keys[role].startswith("gt_")
        assert "shown only now" in proc.stderr
    port = free_port()
    process = start_server(db, port, log=folder / "server.log")
    try:
        yield f"http://127.0.0.1:{port}", keys["dispatcher"], keys["supervisor"]
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_client_system_posts_a_report_and_reads_the_case(server: tuple[str, str, str]) -> None:
    base, dispatcher, supervisor = server
    h = {"Authorization": f"Bearer {dispatcher}"}
    text = "德化街步行街上好多流动摊贩占道经营，行人都走不过去了"
    r = httpx.post(f"{base}/v1/reports", json={"text": text}, headers=h)
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["status"] == "dispatched"
    assert case["departments"][0]["role"] == "lead"
    detail = httpx.get(f"{base}/v1/cases/{case['case_id']}", headers=h).json()
    assert [a["event"] for a in detail["audit"]][-1] == "case.transition"
    assert httpx.get(f"{base}/docs").status_code == 200
    assert "/v1/reports" in httpx.get(f"{base}/openapi.json").json()["paths"]
    forbidden = httpx.put(f"{base}/v1/mode", json={"mode": "holiday", "reason": "x"}, headers=h)
    assert forbidden.status_code == 403
    switched = httpx.put(f"{base}/v1/mode", json={"mode": "holiday", "reason": "国庆"},
                         headers={"Authorization": f"Bearer {supervisor}"})
    assert switched.status_code == 200
    assert switched.json()["mode"] == "holiday"


def test_concurrent_retries_through_the_network_make_one_case(server: tuple[str, str, str]) -> None:
    base, dispatcher, _ = server
    h = {"Authorization": f"Bearer {dispatcher}", "Idempotency-Key": "net-retry-1"}

    def post() -> tuple[int, int]:
        r = httpx.post(f"{base}/v1/reports", json={"text": "纬四路上的下水道堵了，污水冒出来"}, headers=h, timeout=60)
        return r.status_code, r.json()["case_id"]

    answers = concurrently(post, 6)
    assert len(set(answers)) == 1, answers
    cases = httpx.get(f"{base}/v1/cases", headers=h).json()
    assert sum(1 for c in cases if c["id"] == answers[0][1]) == 1
    detail = httpx.get(f"{base}/v1/cases/{answers[0][1]}", headers=h).json()
    assert len(detail["reports"]) == 1


def test_bad_requests_never_get_a_500(server: tuple[str, str, str]) -> None:
    base, dispatcher, _ = server
    h = {"Authorization": f"Bearer {dispatcher}"}
    bodies: list[Any] = [b"", b"[]", b'{"text": 5}', b'{"text": null}', b"\xff\xfe"]
    for body in bodies:
        r = httpx.post(f"{base}/v1/reports", content=body, headers={**h, "Content-Type": "application/json"})
        assert 400 <= r.status_code < 500, (body, r.status_code, r.text)
    assert httpx.post(f"{base}/v1/reports", json={"text": "x"}).status_code == 401
    assert httpx.get(f"{base}/v1/cases/0", headers=h).status_code == 422, "ids start at 1"
    assert httpx.get(f"{base}/v1/cases/{2**31 - 1}", headers=h).status_code == 404, "a well-formed id of no case"


def test_a_photo_report_over_the_network(server: tuple[str, str, str]) -> None:
    from tests.support.photos import photo_bytes, render_sign

    base, dispatcher, _ = server
    h = {"Authorization": f"Bearer {dispatcher}"}
    sign = photo_bytes(render_sign("井盖缺失 注意安全"))
    r = httpx.post(f"{base}/v1/reports", headers=h, data={"text": "麻烦来看看"}, timeout=120,
                   files=[("photos", ("sign.jpg", sign, "image/jpeg"))])
    assert r.status_code == 201, r.text
    photo = r.json()["photos"][0]
    assert "井盖" in photo["ocr_text"]
    got = httpx.get(f"{base}/v1/photos/{photo['sha256']}", headers=h, timeout=30)
    assert got.status_code == 200
    with Image.open(io.BytesIO(got.content)) as image, Image.open(io.BytesIO(sign)) as sent:
        assert image.size == sent.size
        assert not image.getexif()  # a dispatcher gets the photo without its metadata


def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit(server: tuple[str, str, str]) -> None:
    """100 MB sent chunked (no Content-Length): the server answers 413 after about the 1 MB limit, and
    stops the upload, without reading the rest."""
    base, dispatcher, _ = server
    host, port = base.removeprefix("http://").split(":")
    chunk, total, sent = b"x" * 65_536, 100_000_000, 0
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(f"POST /v1/reports HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {dispatcher}\r\n"
                     "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        try:
            while sent < total and not select.select([conn], [], [], 0)[0]:
                conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed while we were still sending
        answer = b""
        while b"request.too_large" not in answer and (part := conn.recv(65_536)):
            answer += part  # the head and the body may come in separate packets; the server then closes
        head = answer.decode("utf-8", "replace")
    assert head.startswith("HTTP/1.1 413"), head[:200]
    assert "request.too_large" in head
    assert sent < 20_000_000  # not the whole 100 MB: the answer came once the limit was passed
