"""People who use the web pages: users with salted scrypt password hashes, one-time login links,
and the web session secret. A web login resolves to the same `ApiClient` (role and actor) an API
key does, so the pages obey the same abilities and write the same audit trail."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from agent.store.keys import ApiClient, check_role, key_client
from agent.store.models import ApiKeyRow, CitySettingRow, LoginTokenRow, UserRow, WebSessionRow
from agent.store.store import CaseStore, _audit
from core import clock
from core.messages import Refusal, message

USERNAME = re.compile(r"^[\w.@-]{1,60}$")
MIN_PASSWORD = 8
# scrypt's cost: 16 MiB and ~50 ms a check on a laptop core: cheap for a login, dear for a guesser.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
LINK_NAME = "local"  # whom a one-time login link logs in (actor `supervisor:local`)


def hash_password(password: str, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """`scrypt$n$r$p$salt$digest` (hex), a fresh 16-byte salt each time."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, n, r, p)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = bytes.fromhex(digest)
        actual = _scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32, maxmem=64 * 1024 * 1024)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_DUMMY_HASH = hash_password(secrets.token_urlsafe(12))  # unknown users cost as much time as known ones


def user_client(row: UserRow) -> ApiClient:
    """User ids are negated so they never collide with API-key ids (rate limits, idempotency)."""
    return ApiClient(-row.id, row.username, row.role, department_id=row.department_id, grid_id=row.grid_id)


class Users:
    def __init__(self, store: CaseStore) -> None:
        self.store = store

    # ---- users ----------------------------------------------------------------------------------
    def create(self, username: str, role: str, password: str, actor: str = "gridtriage",
               department_id: str | None = None, grid_id: str | None = None) -> int:
        """`department_id`: the department a department user works for (checked against the
        knowledge base by the caller); `grid_id`: the grid a grid user (网格员) works in."""
        if not USERNAME.match(username):
            raise Refusal(message("user.bad_name", name=username))
        check_role(role, department_id, grid_id)
        if len(password) < MIN_PASSWORD:
            raise Refusal(message("user.short_password", n=MIN_PASSWORD))
        try:
            with self.store.session() as s, s.begin():
                row = UserRow(username=username, role=role, password_hash=hash_password(password),
                              created_at=clock.now(), department_id=department_id, grid_id=grid_id)
                s.add(row)
                s.flush()
                s.add(_audit("access", "user.created", None, None,
                             {"username": username, "role": role, "department_id": department_id,
                              "grid_id": grid_id}, actor))
                return row.id
        except IntegrityError:
            raise Refusal(message("user.exists", name=username)) from None

    def authenticate(self, username: str, password: str) -> ApiClient | None:
        """The user, when the password is right and the user is not disabled."""
        with self.store.session() as s:
            row = s.scalars(select(UserRow).where(UserRow.username == username)).first()
        if row is None:
            verify_password(password, _DUMMY_HASH)
            return None
        if not verify_password(password, row.password_hash) or row.disabled_at is not None:
            return None
        with self.store.session() as s, s.begin():
            s.execute(update(UserRow).where(UserRow.id == row.id).values(last_login_at=clock.now()))
        return user_client(row)

    def set_password(self, username: str, password: str, actor: str = "gridtriage") -> int:
        """A new password; every web session the user had open is revoked in the same transaction
        (returns how many), and the change is audited (never the password)."""
        if len(password) < MIN_PASSWORD:
            raise Refusal(message("user.short_password", n=MIN_PASSWORD))
        with self.store.session() as s, s.begin():
            row = s.scalars(select(UserRow).where(UserRow.username == username)).first()
            if row is None:
                raise Refusal(message("user.unknown", name=username))
            row.password_hash = hash_password(password)
            open_sessions = (WebSessionRow.kind == "user", WebSessionRow.principal == row.id,
                             WebSessionRow.revoked_at.is_(None))
            revoked = len(s.scalars(select(WebSessionRow.id).where(*open_sessions)).all())
            s.execute(update(WebSessionRow).where(*open_sessions).values(revoked_at=clock.now()))
            s.add(_audit("access", "user.password_changed", None, None,
                         {"username": username, "sessions_revoked": revoked}, actor))
            return int(revoked)

    def user(self, user_id: int) -> ApiClient | None:
        """An active user by id (a disabled user's sessions stop working at once; role changes apply)."""
        with self.store.session() as s:
            row = s.get(UserRow, user_id)
            return user_client(row) if row is not None and row.disabled_at is None else None

    def key(self, key_id: int) -> ApiClient | None:
        """An API key that is not revoked, by id: a web session opened with a key ends when it is revoked."""
        with self.store.session() as s:
            row = s.get(ApiKeyRow, key_id)
            return key_client(row) if row is not None and row.revoked_at is None else None

    # ---- one-time login links -------------------------------------------------------------------
    def issue_login_token(self, minutes: float = 15.0, role: str = "supervisor", name: str = LINK_NAME) -> str:
        """A token for one login within `minutes`; only its SHA-256 is stored."""
        check_role(role, None)  # a link cannot bind a department
        token = secrets.token_urlsafe(24)
        now = clock.now()
        with self.store.session() as s, s.begin():
            s.add(LoginTokenRow(token_hash=_digest(token), name=name, role=role, created_at=now,
                                expires_at=now + timedelta(minutes=minutes)))
        return token

    def redeem_login_token(self, token: str) -> ApiClient | None:
        """The principal of an unused, unexpired token, which is spent by this call (once, even
        when two requests race for it)."""
        now = clock.now()
        with self.store.session() as s, s.begin():
            row = s.scalars(select(LoginTokenRow).where(LoginTokenRow.token_hash == _digest(token))).first()
            if row is None or row.used_at is not None or row.expires_at <= now:
                return None
            spent = s.execute(update(LoginTokenRow).where(LoginTokenRow.id == row.id, LoginTokenRow.used_at.is_(None))
                              .values(used_at=now))
            if getattr(spent, "rowcount", 0) != 1:
                return None
            return ApiClient(0, row.name, row.role)

    # ---- web sessions ---------------------------------------------------------------------------
    def open_session(self, kind: str, principal: int) -> str:
        """A new session id for a login (only its SHA-256 is stored)."""
        sid = secrets.token_urlsafe(24)
        with self.store.session() as s, s.begin():
            s.add(WebSessionRow(token_hash=_digest(sid), kind=kind, principal=principal, created_at=clock.now()))
        return sid

    def session_open(self, sid: str) -> bool:
        """Whether the session was opened here and is not revoked."""
        with self.store.session() as s:
            row = s.scalars(select(WebSessionRow).where(WebSessionRow.token_hash == _digest(sid))).first()
            return row is not None and row.revoked_at is None

    def revoke_session(self, sid: str) -> None:
        with self.store.session() as s, s.begin():
            s.execute(update(WebSessionRow).where(WebSessionRow.token_hash == _digest(sid),
                                                  WebSessionRow.revoked_at.is_(None)).values(revoked_at=clock.now()))

    # ---- the session secret ---------------------------------------------------------------------
    def session_secret(self) -> str:
        """Generated at first use and kept in the case database, so sessions outlive a restart and
        the secret is never in a file someone might commit."""
        name = "web.session_secret"
        with self.store.session() as s:
            row = s.get(CitySettingRow, name)
            if row is not None:
                return row.value
        try:
            with self.store.session() as s, s.begin():
                s.add(CitySettingRow(name=name, value=secrets.token_hex(32), updated_by="gridtriage",
                                     updated_at=clock.now()))
        except IntegrityError:
            pass  # another process made it first; use theirs
        with self.store.session() as s:
            row = s.get(CitySettingRow, name)
            if row is None:
                raise RuntimeError("the web session secret could not be stored")
            return row.value
