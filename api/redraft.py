"""Background LLM drafting for the API. A report gets its template draft at once (the answer to
POST /v1/reports never waits for a model); one worker thread then drafts new cases with the LLM, in
order, and replaces the draft when it is valid. The queue is in memory: cases still waiting at shutdown
keep their template draft."""

from __future__ import annotations

import logging
import queue
import threading

from agent.drafting import Drafter
from agent.pipeline import TriagePipeline
from core.types import TriageResult

log = logging.getLogger(__name__)


class Redrafter:
    def __init__(self, pipeline: TriagePipeline, drafter: Drafter) -> None:
        self.pipeline, self.drafter = pipeline, drafter
        self._queue: queue.Queue[TriageResult | threading.Event | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="llm-redrafter", daemon=True)

    def start(self) -> None:
        self.drafter.warm_up()
        self._thread.start()

    def submit(self, result: TriageResult) -> None:
        self._queue.put(result)

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def wait_idle(self, timeout: float) -> bool:
        """True once everything queued before this call is drafted."""
        marker = threading.Event()
        self._queue.put(marker)
        return marker.wait(timeout)

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=60)

    def _run(self) -> None:
        prime = getattr(self.drafter, "prime", None)
        if prime is not None:
            try:
                log.info("prompt head evaluated in %.1f s", prime())
            except Exception:  # priming is an optimisation; drafting still works without it
                log.exception("priming the LLM failed")
        while (item := self._queue.get()) is not None:
            if isinstance(item, threading.Event):
                item.set()
                continue
            try:
                self.pipeline.redraft(item, self.drafter)
            except Exception:  # one failed draft must not stop the worker; the template draft stays
                log.exception("background drafting of case %s failed", item.case_id)
