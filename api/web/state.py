"""What the web pages keep per app: their settings, the template environment, the users and the
session codec (both made at the first request, once the app's store exists) and a login limiter."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from fastapi import Request

from agent.store.users import Users
from api.auth import RateLimiter

if TYPE_CHECKING:
    from api.web.session import SessionCodec
    from core.settings import WebSettings


class WebState:
    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings
        self.login_limiter = RateLimiter(20)  # login attempts per minute and client address
        self._users: Users | None = None
        self._codec: SessionCodec | None = None
        self._lock = threading.Lock()

    def users(self, request: Request) -> Users:
        if self._users is None:
            workflow = getattr(request.app.state, "workflow", None)
            if workflow is None:
                raise RuntimeError("the app has not started: its case store is not open yet")
            self._users = Users(workflow.store)
        return self._users

    def codec(self, request: Request) -> SessionCodec:
        from api.web.session import SessionCodec

        with self._lock:
            if self._codec is None:
                secret = self.settings.session_secret or self.users(request).session_secret()
                self._codec = SessionCodec(secret, self.settings.session_hours)
            return self._codec


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state
