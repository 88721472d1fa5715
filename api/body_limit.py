"""Request bodies are counted as they arrive: a body over its limit is answered 413 as soon as the
limit is passed, whether it declared its length or came chunked, and is never read whole."""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.messages import message


class BodyTooLarge(HTTPException):
    """Raised from `receive` inside the app, so a route reading its body stops there (FastAPI passes
    an HTTPException from a body read through), and answered 413."""

    def __init__(self, limit: int) -> None:
        self.reason = message("request.too_large", limit=limit)
        super().__init__(413, self.reason.text())


class BodyLimit:
    """ASGI middleware; `limit_of(headers)` is the byte limit of a request's body."""

    def __init__(self, app: ASGIApp, limit_of: Callable[[Headers], int]) -> None:
        self.app, self.limit_of = app, limit_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = self.limit_of(headers)
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _refuse(BodyTooLarge(limit), scope, receive, send)
            return
        received, started = 0, False

        async def counted() -> Message:
            nonlocal received
            incoming = await receive()
            if incoming["type"] == "http.request":
                received += len(incoming.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return incoming

        async def watched(outgoing: Message) -> None:
            nonlocal started
            started = started or outgoing["type"] == "http.response.start"
            await send(outgoing)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as exc:
            if started:
                raise
            await _refuse(exc, scope, receive, send)


async def _refuse(exc: BodyTooLarge, scope: Scope, receive: Receive, send: Send) -> None:
    await too_large(Headers(scope=scope), exc)(scope, receive, send)


def too_large(headers: Headers, exc: BodyTooLarge) -> JSONResponse:
    """The 413, in the caller's language beside its code, like every refusal from the catalogue."""
    lang = "en" if headers.get("accept-language", "").lower().startswith("en") else "zh"
    return JSONResponse({"detail": exc.reason.text(lang), "code": exc.reason.code}, status_code=413,
                        headers={"Connection": "close"})
