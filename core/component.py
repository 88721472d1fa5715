"""The contract every pipeline component keeps: a light `__init__` (nothing loads at construction),
an idempotent, thread-safe `warm_up()` that loads what the component needs, and one typed `run`-like
method. `LoadOnce` gives a component that guard, so no component writes its own."""

from __future__ import annotations

import threading
from typing import Protocol, runtime_checkable


@runtime_checkable
class Component(Protocol):
    def warm_up(self) -> None:
        """Load models, indexes or files; safe to call again and from several threads."""


class LoadOnce:
    """`warm_up()` runs the subclass's `_load()` exactly once, whichever thread asks first; a load
    that raises is tried again on the next call."""

    def __init__(self) -> None:
        self._load_lock = threading.Lock()
        self._loaded = False

    @property
    def loaded(self) -> bool:
        return self._loaded

    def warm_up(self) -> None:
        if self._loaded:
            return
        with self._load_lock:
            if not self._loaded:
                self._load()
                self._loaded = True

    def _load(self) -> None:
        """What `warm_up` loads; nothing by default."""
