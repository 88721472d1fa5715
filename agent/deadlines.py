"""Deadlines from the category's own limits, tightened by the mode covering the place (the city's, or
a grid's when that is more urgent), and the deadline of each lifecycle step."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from core.types import Deadlines, Priority
from knowledge.loader import KnowledgeBase
from knowledge.schema import Policy


def _earliest(*values: float | None) -> float | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def compute_deadlines(kb: KnowledgeBase, mode_id: str, category_id: str, priority: Priority,
                      received_at: datetime) -> Deadlines:
    modes = {m.id: m for m in kb.policy.modes}
    if mode_id not in modes:
        raise ValueError(f"unknown mode {mode_id!r}; the knowledge base has {', '.join(modes)}")
    mode = modes[mode_id]
    leaf = kb.leaves[category_id]
    cap = mode.deadlines[priority]
    respond = _earliest(leaf.deadlines.respond_minutes, cap.respond_minutes)
    arrive = _earliest(leaf.deadlines.arrive_minutes, cap.arrive_minutes) if (
        leaf.deadlines.arrive_minutes or priority in ("urgent", "high")) else None
    resolve = _earliest(leaf.deadlines.resolve_hours, cap.resolve_hours)
    parent = kb.leaf_parent[category_id]
    for override in mode.category_overrides:
        if category_id in override.categories or parent in override.categories:
            respond = _earliest(respond, override.respond_minutes)
            arrive = _earliest(arrive, override.arrive_minutes)
            resolve = _earliest(resolve, override.resolve_hours)
    assert respond is not None
    assert resolve is not None
    received_at = received_at.replace(microsecond=0)
    return Deadlines(
        mode=mode.id,
        respond_by=received_at + timedelta(minutes=respond),
        arrive_by=received_at + timedelta(minutes=arrive) if arrive is not None else None,
        resolve_by=received_at + timedelta(hours=resolve),
    )


def covering_grids(kb: KnowledgeBase, place: Mapping[str, Any]) -> list[str]:
    """The grids that cover a report's point, from its place as stored (`place["grid"]`, each of its
    parents, and `place["grid_candidates"]` on a border), nearest first, each once."""
    found: list[str] = []
    grid = place.get("grid")
    candidates = [grid, *(place.get("grid_candidates") or ())]
    for entry in candidates:
        grid_id = entry.get("id") if isinstance(entry, Mapping) else entry
        seen: set[str] = set()
        while isinstance(grid_id, str) and grid_id not in seen:
            seen.add(grid_id)
            if grid_id not in found:
                found.append(grid_id)
            parent = kb.grids.get(grid_id)
            grid_id = parent.parent if parent is not None else None
    return found


def most_urgent_mode(kb: KnowledgeBase, mode_ids: Iterable[str], category_id: str, priority: Priority,
                     received_at: datetime) -> str:
    """Of the modes covering a place, the one with the tightest deadlines for this case: the earliest
    respond-by, then the earliest resolve-by, then the earliest arrive-by (none is latest), then the
    mode listed later in the policy (the policy lists them from everyday to emergency)."""
    order = {m.id: i for i, m in enumerate(kb.policy.modes)}
    far = received_at + timedelta(days=36500)

    def tightness(mode_id: str) -> tuple[datetime, datetime, datetime, int]:
        d = compute_deadlines(kb, mode_id, category_id, priority, received_at)
        return d.respond_by, d.resolve_by, d.arrive_by or far, -order[mode_id]

    known = [m for m in dict.fromkeys(mode_ids) if m in order]
    if not known:
        raise ValueError("no known mode covers the place")
    return min(known, key=tightness)


def area_mode(kb: KnowledgeBase, city_mode: str, area_modes: Mapping[str, str], place: Mapping[str, Any],
              category_id: str, priority: Priority, received_at: datetime) -> str:
    """The mode a new case follows: the most urgent of the city's and those of the grids covering its
    point (`area_modes`: grid id → mode)."""
    modes = [city_mode, *(area_modes[g] for g in covering_grids(kb, place) if g in area_modes)]
    return most_urgent_mode(kb, modes, category_id, priority, received_at)


class StageClock:
    """The deadline of the step a case has just entered (`cases.due_by`): answered and dispatched by
    the respond-by time, disposed within the disposal time from dispatch (afresh when returned or
    reopened), then verified by a person, replied to and called back within the policy's stage
    hours. The case's own mode decides."""

    def __init__(self, policy: Policy) -> None:
        self.modes = {m.id: m for m in policy.modes}
        self.default_stages = policy.stage_hours

    def due_by(self, status: str, mode_id: str, priority: str, entered_at: datetime, respond_by: datetime,
               current_due: datetime | None) -> datetime | None:
        mode = self.modes.get(mode_id)
        if mode is None:
            return None
        stages = mode.stage_hours or self.default_stages
        cap = mode.deadlines[priority]  # type: ignore[index]
        dispose = cap.dispose_hours or cap.resolve_hours
        hours = {"dispatched": dispose, "returned": dispose, "reopened": dispose, "disposed": stages.verify_hours,
                 "verified": stages.reply_hours, "replied": stages.callback_hours}
        if status in ("received", "accepted"):
            return respond_by
        if status == "handling":
            return current_due  # still the disposal deadline set when it was dispatched, returned or reopened
        if status in hours:
            return entered_at.replace(microsecond=0) + timedelta(hours=hours[status])
        return None  # closed, rejected, merged: nothing is due
