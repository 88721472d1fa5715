"""API keys (`Authorization: Bearer KEY`) and roles; a per-key rate limit. Refusals are
HTTPExceptions whose detail is a catalogue message, said in the caller's language by the handler."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from fastapi import HTTPException, Request, status

from agent.store.keys import ApiClient
from core.messages import Message, message
from core.roles import ABILITIES


# What each role may do; endpoints ask for an ability, not a role.
class RateLimiter:
    """A token bucket per client: `per_minute` requests (or the client's own limit), refilled
    continuously. `ticker` gives elapsed seconds (monotonic, so a clock set back or forward never
    empties or fills a bucket)."""

    def __init__(self, per_minute: int, ticker: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._ticker = ticker
        self._buckets: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client_id: int, per_minute: int | None = None) -> float:
        """0 when allowed, else the seconds to wait. `per_minute` is the client's own limit."""
        capacity = float(per_minute or self.per_minute)
        rate = capacity / 60.0
        now = self._ticker()
        with self._lock:
            tokens, last = self._buckets.get(client_id, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * rate)
            if tokens >= 1:
                self._buckets[client_id] = (tokens - 1, now)
                return 0.0
            self._buckets[client_id] = (tokens, now)
            return (1 - tokens) / rate


def authenticate(request: Request, api_key: str | None = None) -> ApiClient:
    """The caller, from `Authorization: Bearer KEY` (or `api_key`, Open311's way of sending it)."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if api_key and not header:
        scheme, key = "bearer", api_key
    if scheme.lower() != "bearer" or not key.strip():
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, message("auth.missing_key"),
                            headers={"WWW-Authenticate": "Bearer"})
    client: ApiClient | None = request.app.state.workflow.keys.client(key.strip())
    if client is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, message("auth.unknown_key"),
                            headers={"WWW-Authenticate": "Bearer"})
    wait = request.app.state.rate_limiter.allow(client.id, client.rate_limit_per_minute)
    if wait:
        seconds = max(1, round(wait))
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, message("auth.rate_limited", seconds=seconds),
                            headers={"Retry-After": str(seconds)})
    return client


def authorize(request: Request, ability: str, api_key: str | None = None) -> ApiClient:
    """The caller, if their role may do `ability`; 401 or 403 otherwise."""
    return permit(authenticate(request, api_key), ability)


def permit(client: ApiClient, ability: str) -> ApiClient:
    """`client` if their role may do `ability`; 403 naming the roles that may otherwise."""
    refused = refusal(client.role, ability)
    if refused:
        raise HTTPException(status.HTTP_403_FORBIDDEN, refused)
    return client


def roles_that_can(ability: str) -> list[str]:
    return sorted(r for r, a in ABILITIES.items() if ability in a)


def refusal(role: str, ability: str) -> Message | None:
    """Why `role` may not do `ability` (None when it may); the API and the web pages say the same."""
    if ability in ABILITIES.get(role, frozenset()):
        return None
    return message("auth.role_cannot", role=message(f"role.{role}"), ability=message(f"ability.{ability}"),
                   roles=[message(f"role.{r}") for r in roles_that_can(ability)])


def requires(ability: str) -> Callable[[Request], ApiClient]:
    def check(request: Request) -> ApiClient:
        return authorize(request, ability)

    return check
