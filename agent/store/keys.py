"""API clients: their keys (only a key's SHA-256 is stored) and the answers remembered per
Idempotency-Key (stored with the report they answered), so a retried submission gets the first
answer instead of a second case."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from agent.store.models import ApiKeyRow, IdempotencyRow
from agent.store.store import CaseStore, _audit
from core import clock
from core.frozen import Frozen
from core.messages import Refusal, message
from core.roles import BOUND_TO_DEPARTMENT, BOUND_TO_GRID, ROLES

NOBODY = "\x00none"  # the scope of a department or grid client bound to none: it sees nothing


@dataclass(frozen=True)
class ApiClient:
    id: int
    name: str
    role: str
    rate_limit_per_minute: int | None = None  # None: the server's default
    department_id: str | None = None  # the department role's one department: it sees only its cases
    grid_id: str | None = None  # the grid role's one grid (a 网格员): it sees only its grid's cases

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.name}"

    @property
    def scope(self) -> tuple[str | None, str | None]:
        """(department, grid) whose cases alone this client sees; None where its role is not bound
        to one. A bound role without its id gets NOBODY, which matches no case."""
        department = (self.department_id or NOBODY) if self.role == BOUND_TO_DEPARTMENT else None
        grid = (self.grid_id or NOBODY) if self.role == BOUND_TO_GRID else None
        return department, grid


def check_role(role: str, department_id: str | None, grid_id: str | None = None) -> None:
    """A known role; a department key or user names its department and a grid one its grid, and no
    other role does."""
    if role not in ROLES:
        raise Refusal(message("user.unknown_role", role=role, roles=", ".join(ROLES)))
    if role == BOUND_TO_DEPARTMENT and not department_id:
        raise Refusal(message("key.department_needed"))
    if role != BOUND_TO_DEPARTMENT and department_id:
        raise Refusal(message("key.department_only", role=message(f"role.{role}")))
    if role == BOUND_TO_GRID and not grid_id:
        raise Refusal(message("key.grid_needed"))
    if role != BOUND_TO_GRID and grid_id:
        raise Refusal(message("key.grid_only", role=message(f"role.{role}")))


def key_client(row: ApiKeyRow) -> ApiClient:
    return ApiClient(row.id, row.name, row.role, row.rate_limit_per_minute, row.department_id, row.grid_id)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeys:
    def __init__(self, store: CaseStore, cache_s: float = 30.0) -> None:
        self.store = store
        self.cache_s = cache_s  # how long a looked-up key is trusted before it is read again
        self._clients: dict[str, tuple[ApiClient | None, float]] = {}

    def create(self, role: str, name: str, rate_limit_per_minute: int | None = None,
               department_id: str | None = None, grid_id: str | None = None) -> str:
        """A new key for `role`, returned once; the store keeps its hash and audits the creation.
        `rate_limit_per_minute` replaces the server's default limit for this key; `department_id`
        binds a department key to its department and `grid_id` a grid key to its grid (both checked
        against the knowledge base by the caller)."""
        check_role(role, department_id, grid_id)
        if rate_limit_per_minute is not None and rate_limit_per_minute < 1:
            raise Refusal(message("key.bad_rate_limit", value=rate_limit_per_minute))
        key = "gt_" + secrets.token_urlsafe(32)
        with self.store.session() as s, s.begin():
            s.add(ApiKeyRow(name=name, role=role, key_hash=hash_key(key), created_at=clock.now(),
                            rate_limit_per_minute=rate_limit_per_minute, department_id=department_id,
                            grid_id=grid_id))
            s.add(_audit("access", "key.created", None, None,
                         {"name": name, "role": role, "rate_limit_per_minute": rate_limit_per_minute,
                          "department_id": department_id, "grid_id": grid_id}, "gridtriage"))
        return key

    def client(self, key: str) -> ApiClient | None:
        """The client a key belongs to; None for an unknown or revoked key."""
        digest = hash_key(key)
        cached = self._clients.get(digest)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        with self.store.session() as s:
            row = s.scalars(select(ApiKeyRow).where(ApiKeyRow.key_hash == digest,
                                                    ApiKeyRow.revoked_at.is_(None))).first()
            client = key_client(row) if row else None
        if client is not None:  # unknown keys are not cached: a key created a moment ago works at once
            self._clients[digest] = (client, time.monotonic() + self.cache_s)
        return client


class Answer(Frozen):
    """The answer given to one (client, Idempotency-Key), and the hash of the request it answered."""

    request_hash: str
    status_code: int
    response: dict[str, Any]


class Idempotency:
    def __init__(self, store: CaseStore) -> None:
        self.store = store

    def remembered(self, client_id: int, key: str) -> Answer | None:
        with self.store.session() as s:
            row = s.scalars(select(IdempotencyRow).where(IdempotencyRow.api_key_id == client_id,
                                                         IdempotencyRow.key == key)).first()
            return Answer(request_hash=row.request_hash, status_code=row.status_code,
                          response=row.response) if row else None
