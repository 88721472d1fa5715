"""Logging in and out (a username and password, an API key, or a one-time link printed by
`gridtriage serve`), the language toggle, and the home page each role starts from."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from agent.store.keys import ApiClient
from api.web.access import CsrfChecked, can
from api.web.i18n import COOKIE as LANG_COOKIE
from api.web.i18n import LANGS, language, lookup
from api.web.render import page
from api.web.session import load_session, log_out
from api.web.state import web_state

router = APIRouter(prefix="/ui", include_in_schema=False)


def home_of(client: ApiClient) -> str:
    if can(client, "dispose"):
        return "/ui/department"
    if can(client, "review"):
        return "/ui/review"
    if can(client, "submit"):
        return "/ui/intake"
    return "/ui/dashboard"


def safe_next(target: str | None) -> str | None:
    """Only a path of these pages: a login link must not send anyone to another site."""
    if target and target.startswith("/ui") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("")
@router.get("/")
def home(request: Request) -> RedirectResponse:
    client = load_session(request).client
    return RedirectResponse(home_of(client) if client else "/ui/login", status_code=303)


@router.get("/login", response_model=None)
def login_page(request: Request, next: str | None = None, token: str | None = None) -> Response:
    session = load_session(request)
    if token:
        client = web_state(request).users(request).redeem_login_token(token)
        if client is None:
            return _login_form(request, next, lookup("login.link_spent", language(request)), 401)
        session.log_in(client, "link", 0, web_state(request).users(request).open_session("link", 0))
        _log_login(request, client, "link")
        return RedirectResponse(home_of(client), status_code=303)  # the token leaves the address bar
    if session.client is not None:
        return RedirectResponse(safe_next(next) or home_of(session.client), status_code=303)
    return _login_form(request, next)


@router.post("/login", dependencies=[CsrfChecked], response_model=None)
def login(request: Request, username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
          api_key: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "") -> Response:
    lang = language(request)
    state = web_state(request)
    address = request.client.host if request.client else "?"
    wait = state.login_limiter.allow(hash(("login", address)))
    if wait:
        refused = _login_form(request, next, lookup("login.too_many", lang), 429)
        refused.headers["Retry-After"] = str(max(1, round(wait)))
        return refused
    users = state.users(request)
    client: ApiClient | None = None
    if api_key.strip():
        client = request.app.state.workflow.keys.client(api_key.strip())
        kind, pid = "key", client.id if client else 0
    elif username.strip() and password:
        client = users.authenticate(username.strip(), password)
        kind, pid = "user", -client.id if client else 0
    if client is None:
        return _login_form(request, next, lookup("login.failed", lang), 401, username=username)
    load_session(request).log_in(client, kind, pid, users.open_session(kind, pid))
    _log_login(request, client, kind)
    return RedirectResponse(safe_next(next) or home_of(client), status_code=303)


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request) -> RedirectResponse:
    log_out(request)
    return RedirectResponse("/ui/login", status_code=303)


@router.get("/lang")
def switch_language(request: Request, to: str, next: str | None = None) -> RedirectResponse:
    response = RedirectResponse(safe_next(next) or "/ui", status_code=303)
    if to in LANGS:
        response.set_cookie(LANG_COOKIE, to, max_age=365 * 86400, path="/", samesite="lax",
                            secure=request.url.scheme == "https")
    return response


def _login_form(request: Request, next: str | None, error: str | None = None, status_code: int = 200,
                username: str = "") -> Response:
    return page(request, "login.html", None, status_code=status_code, error=error, next=safe_next(next) or "",
                username=username)


def _log_login(request: Request, client: ApiClient, kind: str) -> None:
    request.app.state.workflow.store.log("access", "web.login", {"method": kind}, actor=client.actor)


