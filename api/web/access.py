"""Who may see and do what on the pages: a login is required, every action asks for the same
ability the JSON API asks for (`core.roles.ABILITIES`), and every POST must carry the CSRF token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Request

from agent.store.keys import ApiClient
from api.auth import refusal, roles_that_can
from api.errors import detail_text
from api.web import csrf
from api.web.session import load_session
from core.messages import Explained

T = TypeVar("T")


class LoginRequired(Exception):
    """No valid session: pages redirect to the login page, scripts get 401."""


class Refused(Exception):
    """The role lacks the ability; the page (or the script's JSON) names the roles that have it."""

    def __init__(self, role: str, ability: str) -> None:
        reason = refusal(role, ability)
        super().__init__(reason.text() if reason else "")
        self.role, self.ability, self.allowed = role, ability, roles_that_can(ability)


def signed_in(request: Request) -> ApiClient:
    client = load_session(request).client
    if client is None:
        raise LoginRequired()
    return client


WebUser = Annotated[ApiClient, Depends(signed_in)]


def can(client: ApiClient, ability: str) -> bool:
    return refusal(client.role, ability) is None


def need(client: ApiClient, ability: str) -> ApiClient:
    if not can(client, ability):
        raise Refused(client.role, ability)
    return client


async def csrf_protect(request: Request) -> None:
    """A dependency of every POST route."""
    form_value: object = None
    if not request.headers.get(csrf.HEADER) and request.headers.get("content-type", "").startswith(csrf.FORM_TYPES):
        form_value = (await request.form()).get(csrf.FIELD)
    csrf.check(load_session(request).csrf, request.headers.get(csrf.HEADER), form_value)


CsrfChecked = Depends(csrf_protect)


def wants_json(request: Request) -> bool:
    """The page's own scripts ask for JSON; a plain form post gets a page."""
    return request.headers.get("x-requested-with") == "fetch" or "application/json" in request.headers.get("accept", "")


def attempt(action: Callable[[], T], lang: str = "zh") -> tuple[T | None, str | None]:
    """Run a workflow action; a refusal by the workflow (a rule, a missing case, a bad value) comes
    back as its message, in the reader's language, instead of an exception."""
    try:
        return action(), None
    except HTTPException as exc:
        return None, detail_text(exc, lang)
    except Explained as exc:
        return None, exc.text(lang)
    except (ValueError, LookupError) as exc:
        message = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
        return None, message
