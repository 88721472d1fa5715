"""The escalation scheduler of one server process: a background task, started with the app, that
ticks the escalation ladder every `escalation_tick_s` seconds. Every worker of every server runs
one; the ladder claims each step in the database, so a step fires once however many tick."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from agent.store.escalation import Escalator, Fired

log = logging.getLogger(__name__)


class EscalationScheduler:
    def __init__(self, escalator: Escalator, tick_s: float) -> None:
        self.escalator, self.tick_s = escalator, tick_s
        self.fired = 0  # escalations this process fired
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.tick_s > 0 and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="escalation-scheduler")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                fired: list[Fired] = await asyncio.to_thread(self.escalator.tick)
                self.fired += len(fired)
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not stop the ladder: the next tick tries again
                log.exception("escalation tick failed")
            await asyncio.sleep(self.tick_s)
