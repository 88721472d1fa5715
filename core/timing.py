"""Stage timings: how long each named step took, in milliseconds, added up per name."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def timed(into: dict[str, float], name: str) -> Iterator[None]:
    """Adds the block's wall time to `into[name]` (milliseconds), even when the block raises."""
    start = time.perf_counter()
    try:
        yield
    finally:
        into[name] = into.get(name, 0.0) + (time.perf_counter() - start) * 1000
