"""The one clock: aware UTC times, a shift from the environment for whole processes, a frozen clock
for tests, and the rate limiter's elapsed-time ticker."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest

from api.auth import RateLimiter
from core import clock

pytestmark = pytest.mark.unit


def test_now_is_aware_utc() -> None:
    moment = clock.now()
    assert moment.tzinfo is not None
    assert moment.utcoffset() == timedelta(0)


def test_a_frozen_clock_stands_still_until_moved_and_is_put_back_after() -> None:
    before = clock.current()
    start = datetime(2026, 12, 31, 23, 59, 30, tzinfo=timezone(timedelta(hours=8)))
    with clock.using(clock.FrozenClock(start)) as frozen:
        assert clock.now() == start
        assert clock.now().tzinfo == UTC
        assert isinstance(frozen, clock.FrozenClock)
        frozen.advance(timedelta(minutes=1))
        assert clock.now().astimezone(timezone(timedelta(hours=8))).year == 2027
        assert clock.timestamp() == start.timestamp() + 60
    assert clock.current() is before


def test_a_frozen_clock_refuses_a_time_without_a_zone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.FrozenClock(datetime(2026, 12, 7, 9, 0))


@pytest.mark.parametrize(("value", "shift"), [("", 0.0), ("86400", 86400.0), ("-3600.5", -3600.5)])
def test_the_environment_shifts_the_system_clock(monkeypatch: pytest.MonkeyPatch, value: str, shift: float) -> None:
    monkeypatch.setenv(clock.OFFSET_ENV, value)
    assert clock.SystemClock.from_environment().offset == timedelta(seconds=shift)


@pytest.mark.parametrize("value", ["tomorrow", "nan", "inf", "1e12"])
def test_a_bad_shift_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(clock.OFFSET_ENV, value)
    with pytest.raises(ValueError, match=clock.OFFSET_ENV):
        clock.SystemClock.from_environment()


def test_a_process_started_with_a_shift_lives_on_that_date() -> None:
    year_ahead = repr(365 * 86400.0)
    code = "from core import clock; print(clock.now().isoformat())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, clock.OFFSET_ENV: year_ahead}).stdout
    shifted = datetime.fromisoformat(out.strip())
    expected = datetime.now(UTC) + timedelta(days=365)
    assert abs((shifted - expected).total_seconds()) < 60


def test_the_rate_limit_refills_with_elapsed_time() -> None:
    ticks = [1000.0]
    limiter = RateLimiter(3, ticker=lambda: ticks[0])
    assert [limiter.allow(1) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.allow(1) == pytest.approx(20.0)  # one request every 20 s
    assert limiter.allow(2) == 0.0  # every client has its own bucket
    ticks[0] += 19.0
    assert limiter.allow(1) == pytest.approx(1.0)
    ticks[0] += 1.5
    assert limiter.allow(1) == 0.0
