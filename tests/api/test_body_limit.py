"""The body limit as ASGI middleware: it counts a chunked body's bytes as they arrive and answers 413
as soon as the limit is passed, never asking for the rest."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Message, Receive, Scope, Send

from api.body_limit import BodyLimit

pytestmark = pytest.mark.unit

CHUNK = b"x" * 1000


async def echo_length(scope: Scope, receive: Receive, send: Send) -> None:
    body = await Request(scope, receive).body()
    await JSONResponse({"bytes": len(body)})(scope, receive, send)


def call(chunks: int, headers: list[tuple[bytes, bytes]]) -> tuple[int, dict[str, Any], int]:
    """The status and JSON body of a POST of `chunks` chunks, and how many chunks were read."""
    pulled, sent = 0, []

    async def receive() -> Message:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": CHUNK, "more_body": pulled < chunks}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "method": "POST", "path": "/", "headers": headers, "query_string": b""}
    asyncio.run(BodyLimit(echo_length, limit_of=lambda _: 5000)(scope, receive, send))
    body = json.loads(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))
    return sent[0]["status"], body, pulled


def test_a_chunked_body_is_refused_once_it_passes_the_limit() -> None:
    status, body, pulled = call(100_000, [(b"transfer-encoding", b"chunked")])
    assert status == 413
    assert body["code"] == "request.too_large"
    assert "5000 字节" in body["detail"]
    assert pulled == 6  # 6,000 bytes passed the 5,000-byte limit; the other 99,994 chunks were never read


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    status, _, pulled = call(10, [(b"content-length", b"10000")])
    assert (status, pulled) == (413, 0)


def test_a_body_within_the_limit_passes_whole() -> None:
    assert call(5, [(b"transfer-encoding", b"chunked")])[:2] == (200, {"bytes": 5000})
