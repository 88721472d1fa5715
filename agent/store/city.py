"""The city's mode (平时/节假日/重大活动/应急), switched at run time and kept across restarts."""

from __future__ import annotations

from agent.store.models import CitySettingRow
from agent.store.store import CaseStore, _audit
from core import clock


class CityMode:
    def __init__(self, store: CaseStore) -> None:
        self.store = store

    def current(self) -> str | None:
        """The mode a supervisor last switched to; None when nobody has."""
        with self.store.session() as s:
            row = s.get(CitySettingRow, "mode")
            return row.value if row else None

    def switch(self, mode: str, actor: str, reason: str) -> str | None:
        """Store the new mode with its audit event; returns the mode before."""
        now = clock.now()
        with self.store.session() as s, s.begin():
            row = s.get(CitySettingRow, "mode")
            before = row.value if row else None
            if row is None:
                s.add(CitySettingRow(name="mode", value=mode, updated_by=actor, updated_at=now))
            else:
                row.value, row.updated_by, row.updated_at = mode, actor, now
            s.add(_audit("mode", "city.mode_switched", None, None,
                         {"before": before, "after": mode, "reason": reason}, actor))
        return before
