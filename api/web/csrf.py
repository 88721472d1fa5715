"""CSRF: one random token per session, sent back by every POST (a hidden form field, or the
`X-CSRF-Token` header from the page's scripts) and compared in constant time. SameSite=Lax cookies
already keep other sites' forms from carrying the session; the token also covers same-site ones."""

from __future__ import annotations

import hmac
import secrets

FIELD = "csrf_token"
HEADER = "x-csrf-token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CsrfRefused(Exception):
    """A POST without the session's CSRF token: an old page, another site, or a script."""


def new_token() -> str:
    return secrets.token_urlsafe(32)


def matches(expected: str, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def check(expected: str, header: str | None, form_value: object) -> None:
    """Raises CsrfRefused unless the header or the form field carries the session's token."""
    given = header or (form_value if isinstance(form_value, str) else None)
    if not matches(expected, given):
        raise CsrfRefused("the form is out of date or did not come from these pages; reload the page and try again")
