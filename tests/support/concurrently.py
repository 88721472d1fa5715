"""Run one call from several threads at the same moment; the answers, in completion order."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def concurrently(call: Callable[[], T], times: int) -> list[T]:
    answers: list[T] = []
    start = threading.Barrier(times)

    def run() -> None:
        start.wait()  # all threads leave together, so the calls really overlap
        answers.append(call())

    threads = [threading.Thread(target=run) for _ in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers
