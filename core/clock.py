"""The one clock GridTriage asks for the time: deadlines, overdue states, dedup windows, login links,
session age and report times all come from `now()`, an aware UTC datetime.

The clock is the machine's, shifted by `GRIDTRIAGE_CLOCK_OFFSET` seconds when that is set (tests and
drills run a whole process, and the processes it starts, on another date). Tests in one process
freeze or move it with `using(FrozenClock(...))`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Protocol

OFFSET_ENV = "GRIDTRIAGE_CLOCK_OFFSET"


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The machine's clock, shifted by `offset`."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    @classmethod
    def from_environment(cls) -> SystemClock:
        raw = os.environ.get(OFFSET_ENV, "").strip()
        if not raw:
            return cls()
        try:
            seconds = float(raw)
        except ValueError:
            raise ValueError(f"{OFFSET_ENV}={raw!r} is not a number of seconds; unset it to use the "
                             "machine's clock") from None
        if seconds != seconds or abs(seconds) > 100 * 365 * 86400:
            raise ValueError(f"{OFFSET_ENV}={raw!r} is out of range: give seconds within a century")
        return cls(timedelta(seconds=seconds))


class FrozenClock:
    """A clock that stands still until it is set or advanced."""

    def __init__(self, moment: datetime) -> None:
        self._moment = _aware(moment)

    def now(self) -> datetime:
        return self._moment

    def set(self, moment: datetime) -> None:
        self._moment = _aware(moment)

    def advance(self, delta: timedelta) -> datetime:
        self._moment += delta
        return self._moment


_current: Clock = SystemClock.from_environment()


def now() -> datetime:
    """The current time from the clock in use (aware, UTC)."""
    return _current.now().astimezone(UTC)


def timestamp() -> float:
    """`now()` as POSIX seconds."""
    return now().timestamp()


def current() -> Clock:
    return _current


def set_clock(clock: Clock) -> Clock:
    """Use `clock` from now on; returns the clock it replaces."""
    global _current
    before, _current = _current, clock
    return before


@contextmanager
def using(clock: Clock) -> Iterator[Clock]:
    """Use `clock` inside the block, then the clock that was in use before."""
    before = set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(before)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"the clock needs a timezone-aware time, got {moment.isoformat()}")
    return moment.astimezone(UTC)
