"""What other processes changed, read from the append-only audit log, and the lock that serialises
the dedup decision with the case insert across processes. Several API workers share one database:
each keeps its own dedup index and catches up from here before it decides.

Every change to a case writes an audit event naming the case (created, merged into, moved along the
lifecycle, edited, split), and a switch of the city's mode writes `city.mode_switched` (of a grid's,
`area.mode_switched`); so the events after the last one read name every case whose dedup facts may
have changed."""

from __future__ import annotations

import fcntl
import os
import threading
import weakref
import zlib
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import bindparam, select, text

from agent.store.city import AREA_EVENT
from agent.store.models import AreaModeRow, AuditRow, CitySettingRow
from agent.store.store import CaseStore

# PostgreSQL hands out ids when a row is inserted, not when it is committed: a transaction that
# began earlier may commit an id below one already read. Events this far back are read again there.
# SQLite has one writer at a time, so its ids are committed in order.
LOOKBACK = 500


@dataclass(frozen=True)
class Changes:
    """Cases whose dedup facts may have changed, the city's mode if it was switched, and every grid's
    mode (grid id → mode) if one was."""

    case_ids: frozenset[int]
    mode: str | None
    areas: dict[str, str] | None = None


_SINCE = (select(AuditRow.id, AuditRow.case_id, AuditRow.event)
          .where(AuditRow.id > bindparam("since"),
                 AuditRow.case_id.is_not(None) | AuditRow.event.in_(("city.mode_switched", AREA_EVENT)))
          .order_by(AuditRow.id))
_MODE = select(CitySettingRow.value).where(CitySettingRow.name == "mode")
_AREAS = select(AreaModeRow.grid_id, AreaModeRow.mode)


class ChangeFeed:
    """Reads the audit log from where it last stopped. Starts at the log's end: what was there
    before is what the reader loaded at start."""

    def __init__(self, store: CaseStore) -> None:
        self.store = store
        self._lookback = LOOKBACK if store.engine.dialect.name == "postgresql" else 0
        self._seen: deque[int] = deque(maxlen=4 * LOOKBACK)
        self._seen_set: set[int] = set()
        with store.session() as s:
            self._cursor = int(s.scalar(select(AuditRow.id).order_by(AuditRow.id.desc()).limit(1)) or 0)

    def read(self) -> Changes:
        with self.store.engine.connect() as conn:  # a plain connection: this runs before every report
            rows = conn.execute(_SINCE, {"since": self._cursor - self._lookback}).all()
            cases: set[int] = set()
            switched = areas_switched = False
            for event_id, case_id, event in rows:
                if event_id in self._seen_set:
                    continue
                self._remember(event_id)
                if case_id is not None:
                    cases.add(int(case_id))
                switched = switched or event == "city.mode_switched"
                areas_switched = areas_switched or event == AREA_EVENT
            mode = conn.execute(_MODE).scalar() if switched else None
            areas = {str(g): str(m) for g, m in conn.execute(_AREAS)} if areas_switched else None
        if rows:
            self._cursor = max(self._cursor, max(int(r[0]) for r in rows))
        return Changes(frozenset(cases), str(mode) if mode is not None else None, areas)

    def written_here(self, event_ids: tuple[int, ...]) -> None:
        """Events this process wrote (and already knows of): reading them later changes nothing."""
        for event_id in event_ids:
            self._remember(event_id)

    def _remember(self, event_id: int) -> None:
        if len(self._seen) == self._seen.maxlen:
            self._seen_set.discard(self._seen[0])
        self._seen.append(event_id)
        self._seen_set.add(event_id)


class CommitLock:
    """Held while a report is matched against the open cases and stored, so that two processes never
    open two cases for one incident: an advisory lock on PostgreSQL; on SQLite an exclusive lock on
    a file beside the database (SQLite allows one writer, so one lock costs nothing in throughput)."""

    KEY = zlib.crc32(b"gridtriage:commit")  # the advisory lock's number

    def __init__(self, store: CaseStore) -> None:
        self.store = store
        self._threads = threading.Lock()  # flock and advisory locks belong to the process, not a thread
        database = store.engine.url.database
        self._file: Path | None = None
        self._open: tuple[int, IO[str]] | None = None  # (pid, file) of the open lock file
        if store.engine.dialect.name == "sqlite" and database and database != ":memory:":
            self._file = Path(database).with_name(Path(database).name + ".commit-lock")

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._threads:
            if self.store.engine.dialect.name == "postgresql":
                with self.store.engine.connect() as conn:
                    conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": self.KEY})
                    try:
                        yield
                    finally:
                        conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.KEY})
                        conn.commit()
            elif self._file is not None:
                handle = self._handle()
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
            else:
                yield

    def _handle(self) -> IO[str]:
        """The lock file, opened once per process (a flock belongs to the open file, and a forked
        child must not share its parent's)."""
        assert self._file is not None
        if self._open is None or self._open[0] != os.getpid():
            handle = self._file.open("a")
            weakref.finalize(self, handle.close)  # closed with this lock, never left to the garbage collector
            self._open = (os.getpid(), handle)
        return self._open[1]
