"""The city's mode (平时/节假日/重大活动/应急), and the modes of single grids or exclusive grids set
beside it, switched at run time and kept across restarts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from agent.store.models import AreaModeRow, CitySettingRow
from agent.store.store import CaseStore, _audit
from core import clock
from core.frozen import Frozen

AREA_EVENT = "area.mode_switched"


class AreaMode(Frozen):
    grid_id: str
    mode: str
    updated_by: str
    updated_at: datetime


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

    def areas(self) -> list[AreaMode]:
        """The modes set for single grids, by grid id."""
        with self.store.session() as s:
            return [AreaMode(grid_id=r.grid_id, mode=r.mode, updated_by=r.updated_by, updated_at=r.updated_at)
                    for r in s.scalars(select(AreaModeRow).order_by(AreaModeRow.grid_id))]

    def switch_area(self, grid_id: str, mode: str, actor: str, reason: str) -> str | None:
        """Set one grid's mode, with its audit event; returns the grid's mode before (None: it had none)."""
        now = clock.now()
        with self.store.session() as s, s.begin():
            row = s.get(AreaModeRow, grid_id)
            before = row.mode if row else None
            if row is None:
                s.add(AreaModeRow(grid_id=grid_id, mode=mode, updated_by=actor, updated_at=now))
            else:
                row.mode, row.updated_by, row.updated_at = mode, actor, now
            s.add(_audit("mode", AREA_EVENT, None, None,
                         {"grid_id": grid_id, "before": before, "after": mode, "reason": reason}, actor))
        return before
