"""The web pages' security pieces, one at a time: session signing and expiry, the CSRF check,
password hashing, the interface strings."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from agent.store.keys import ApiClient
from agent.store.users import hash_password, verify_password
from api.web import csrf
from api.web.session import SessionCodec, WebSession
from core.clock import FrozenClock
from core.messages import LANGS, catalogue, lookup

pytestmark = pytest.mark.unit
SECRET = "s" * 64


def test_a_session_round_trips_and_a_login_rotates_the_csrf_token() -> None:
    codec = SessionCodec(SECRET, hours=1)
    session = WebSession.anonymous()
    before = session.csrf
    session.log_in(ApiClient(-3, "wang", "operator"), "user", 3, "sid-1")
    session.add_flash("ok", "已保存")
    back = codec.loads(codec.dumps(session))
    assert back is not None
    assert session.csrf != before
    assert (back.kind, back.pid, back.name, back.role, back.csrf, back.sid) == ("user", 3, "wang", "operator",
                                                                               session.csrf, "sid-1")
    assert back.flash == [("ok", "已保存")]
    assert back.client is None  # the principal is looked up per request


def test_a_forged_or_foreign_cookie_is_no_session() -> None:
    codec = SessionCodec(SECRET, hours=1)
    value = codec.dumps(WebSession.anonymous())
    assert codec.loads(value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]) is None
    assert SessionCodec("t" * 64, hours=1).loads(value) is None  # another secret
    assert codec.loads("not-a-cookie") is None


def test_a_session_expires_counted_from_the_login(frozen_clock: FrozenClock) -> None:
    codec = SessionCodec(SECRET, hours=1)
    session = WebSession.anonymous()
    session.log_in(ApiClient(1, "li", "supervisor"), "key", 1, "sid-2")
    frozen_clock.advance(timedelta(seconds=3500))
    value = codec.dumps(session)  # re-signed just now, but the login was almost an hour ago
    assert codec.loads(value) is not None
    frozen_clock.advance(timedelta(seconds=200))
    assert codec.loads(value) is None


def test_a_cookie_signed_over_an_hour_ago_has_expired_whatever_it_says(frozen_clock: FrozenClock) -> None:
    codec = SessionCodec(SECRET, hours=1)
    session = WebSession.anonymous()
    session.started += 3000  # the login time alone would keep it valid for 3000 s more
    value = codec.dumps(session)
    frozen_clock.advance(timedelta(seconds=3601))
    assert codec.loads(value) is None  # the signature is dated on the same clock, and is over an hour old


def test_an_unknown_login_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="login kind"):
        WebSession.anonymous().log_in(ApiClient(1, "x", "operator"), "cookie", 1, "sid-3")


def test_the_csrf_check_needs_the_session_token() -> None:
    token = csrf.new_token()
    csrf.check(token, token, None)  # the header
    csrf.check(token, None, token)  # the form field
    for header, field in ((None, None), ("", ""), (token[:-1], None), (None, token + "x"), (None, ["list"])):
        with pytest.raises(csrf.CsrfRefused):
            csrf.check(token, header, field)
    with pytest.raises(csrf.CsrfRefused):
        csrf.check("", "", "")  # a session without a token matches nothing


def test_passwords_are_salted_scrypt_and_checked_exactly() -> None:
    first, second = hash_password("正确的马电池订书钉"), hash_password("正确的马电池订书钉")
    assert first != second
    assert first.startswith("scrypt$16384$8$1$")
    assert verify_password("正确的马电池订书钉", first)
    assert verify_password("正确的马电池订书钉", second)
    assert not verify_password("正确的马电池订书针", first)
    assert not verify_password("x", "md5$abc")
    assert not verify_password("x", "scrypt$garbage")


def test_every_string_has_both_languages_and_every_key_used_exists() -> None:
    table = catalogue()
    assert all(set(entry) == set(LANGS) and all(entry.values()) for entry in table.values())
    assert lookup("nav.review", "zh") == "审核队列"
    assert lookup("nav.review", "en") == "Review queue"
    assert lookup("time.hours", "en", n=3) == "3 h"
    assert lookup("no.such.key", "en") == "no.such.key"
    assert lookup("no.such", "en", default="x") == "x"
    web = Path(__file__).parents[3] / "api" / "web"
    used = set()
    for file in [*(web / "templates").glob("*.html"), *web.glob("*.py")]:
        text = file.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\bt\(['"]([a-z_]+\.[a-z_.]+)['"]""", text))
        used |= set(re.findall(r"""lookup\(['"]([a-z_]+\.[a-z_.]+)['"]""", text))
    assert used
    assert not sorted(used - set(table))
    for family in ("status", "role", "ability", "priority", "verdict", "reject", "dept"):
        assert any(k.startswith(family + ".") for k in table), family
