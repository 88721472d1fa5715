"""Web sessions in a signed cookie (itsdangerous): who is logged in, the CSRF token and the flash
messages; nothing secret is in it, and it cannot be forged or replayed after it expires. A logged-in
cookie also carries a session id that the server keeps (`web_sessions`): logging out or a password
change revokes it, and a revoked session is anonymous on its next request.

The cookie is HttpOnly and SameSite=Lax, and `Secure` when the request came over https (directly,
or through a proxy uvicorn trusts that sends X-Forwarded-Proto), or always with
`web.secure_cookies = "always"`. Over plain http on loopback (`gridtriage serve`'s default and the
browser tests) it is sent without `Secure`, because browsers would not send it back otherwise."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import HTTPException, Request, Response
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from agent.store.keys import ApiClient
from api.web import csrf
from api.web.state import web_state
from core import clock
from core.messages import message

COOKIE = "gt_session"
SALT = "gridtriage.web.session"
KINDS = ("user", "key", "link")  # a password login, an API-key login, a one-time link


@dataclass
class WebSession:
    csrf: str
    started: float
    kind: str | None = None
    pid: int = 0
    name: str = ""
    role: str = ""
    sid: str = ""  # the server's record of a login (empty for a visitor)
    flash: list[tuple[str, str]] = field(default_factory=list)
    client: ApiClient | None = None  # resolved on each request, not stored
    dirty: bool = False

    @classmethod
    def anonymous(cls) -> WebSession:
        return cls(csrf=csrf.new_token(), started=clock.timestamp(), dirty=True)

    def payload(self) -> dict[str, Any]:
        return {"c": self.csrf, "t": self.started, "k": self.kind, "p": self.pid, "n": self.name, "r": self.role,
                "s": self.sid, "f": [list(f) for f in self.flash]}

    def log_in(self, client: ApiClient, kind: str, pid: int, sid: str) -> None:
        """A new token and a new start at every login, so a session planted before it is useless;
        `sid` is the server's record of this login."""
        if kind not in KINDS:
            raise ValueError(f"unknown login kind {kind!r}")
        self.csrf, self.started, self.sid = csrf.new_token(), clock.timestamp(), sid
        self.kind, self.pid, self.name, self.role, self.client = kind, pid, client.name, client.role, client
        self.dirty = True

    def add_flash(self, kind: str, message: str) -> None:
        self.flash.append((kind, message))
        self.dirty = True

    def pop_flash(self) -> list[tuple[str, str]]:
        shown, self.flash = self.flash, []
        if shown:
            self.dirty = True
        return shown


class _ClockSigner(TimestampSigner):
    """Signs and checks the cookie's age on GridTriage's clock, like every other time."""

    def get_timestamp(self) -> int:
        return int(clock.timestamp())


class SessionCodec:
    def __init__(self, secret: str, hours: float) -> None:
        self.max_age = int(hours * 3600)
        self._serializer = URLSafeTimedSerializer(secret, salt=SALT, signer=_ClockSigner)

    def dumps(self, session: WebSession) -> str:
        return str(self._serializer.dumps(session.payload()))

    def loads(self, value: str) -> WebSession | None:
        """None for a cookie that is forged, damaged or older than the session's lifetime (counted
        from the login, however often the cookie was re-signed since)."""
        try:
            data = self._serializer.loads(value, max_age=self.max_age)
            session = WebSession(csrf=str(data["c"]), started=float(data["t"]), kind=data["k"], pid=int(data["p"]),
                                 name=str(data["n"]), role=str(data["r"]), sid=str(data["s"]),
                                 flash=[(str(k), str(m)) for k, m in data["f"]])
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
        if clock.timestamp() - session.started > self.max_age:
            return None
        if session.kind is not None and session.kind not in KINDS:
            return None
        return session


def load_session(request: Request) -> WebSession:
    """The request's session (read once per request): the logged-in principal is looked up again,
    so a disabled user, a revoked key or a revoked session is logged out at once, and a changed role applies."""
    cached = getattr(request.state, "web_session", None)
    if isinstance(cached, WebSession):
        return cached
    state = web_state(request)
    raw = request.cookies.get(COOKIE)
    session = state.codec(request).loads(raw) if raw else None
    if session is None:
        session = WebSession.anonymous()
    elif session.kind is not None:
        open_ = bool(session.sid) and state.users(request).session_open(session.sid)
        session.client = _principal(request, session) if open_ else None
        if session.client is None:  # the session was revoked, or the user or key is gone: start over
            session = WebSession.anonymous()
    request.state.web_session = session
    _rate_limit(request, session)
    return session


def _rate_limit(request: Request, session: WebSession) -> None:
    """The pages share the API's rate limiter: a logged-in person's bucket is their principal's (a key
    login shares its key's), a visitor's is their address's."""
    address = request.client.host if request.client else "?"
    client = session.client
    bucket = client.id if client is not None else hash(("web", address))
    wait = request.app.state.rate_limiter.allow(bucket, client.rate_limit_per_minute if client is not None else None)
    if wait:
        raise HTTPException(429, message("web.too_many", seconds=max(1, round(wait))),
                            headers={"Retry-After": str(max(1, round(wait)))})


def _principal(request: Request, session: WebSession) -> ApiClient | None:
    users = web_state(request).users(request)
    if session.kind == "user":
        return users.user(session.pid)
    if session.kind == "key":
        return users.key(session.pid)
    return ApiClient(0, session.name, session.role)  # a one-time link: valid for the session's lifetime


def web_client(request: Request) -> ApiClient | None:
    """The person logged in to the web pages, as the same principal an API key gives (role, actor);
    None without a valid session. Other routes (photo thumbnails) accept it beside API keys."""
    try:
        return load_session(request).client
    except RuntimeError:  # the app is not started (no store yet)
        return None


def save_session(request: Request, response: Response) -> None:
    """Write the cookie when the session changed during the request."""
    session = getattr(request.state, "web_session", None)
    if not isinstance(session, WebSession) or not session.dirty:
        return
    state = web_state(request)
    codec = state.codec(request)
    secure = state.settings.secure_cookies == "always" or request.url.scheme == "https"
    response.set_cookie(COOKIE, codec.dumps(session), max_age=codec.max_age, path="/", httponly=True,
                        samesite="lax", secure=secure)


def log_out(request: Request) -> WebSession:
    """Revoke the session on the server (a copy of the cookie opens nothing) and start over as a visitor."""
    current = load_session(request)
    if current.sid:
        web_state(request).users(request).revoke_session(current.sid)
    session = WebSession.anonymous()
    request.state.web_session = session
    return session
