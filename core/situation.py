"""The situation picture (一屏观全域): the open cases as points, their count per grid and street, each
department's open and overdue load, today's cases hour by hour beside the past week's average, the
cases still waiting for their first response, and the open urgent cases. Frozen pydantic models;
every time is timezone-aware UTC, and hours are the city's wall-clock hours."""

from __future__ import annotations

from typing import Literal

from core.frozen import Frozen
from core.records import IsoTime

Located = Literal["point", "street", "none"]  # the report's own point, its street's centre, nowhere known


class CasePoint(Frozen):
    """An open case on the map, at its coordinates in the knowledge base's coordinate system."""

    id: int
    title: str
    priority: str
    status: str
    department: str
    category: str
    district: str | None
    street: str | None
    grid: str | None
    lat: float | None
    lon: float | None
    located: Located
    emergency: bool
    overdue: bool
    created_at: IsoTime
    resolve_by: IsoTime


class AreaLoad(Frozen):
    """Open cases in one grid or street (a case without one is not counted here)."""

    id: str
    name: str
    open: int
    overdue: int


class DepartmentLoad(Frozen):
    """A lead department's open cases and those past their resolve-by time."""

    id: str
    name: str
    open: int
    overdue: int


class HourFigure(Frozen):
    """Cases created in one hour of the city's day: today (None for hours still to come) and the mean
    of the same hour over the seven days before today."""

    hour: int
    today: int | None
    week_average: float


class Countdown(Frozen):
    """A case still waiting for its first response (received or accepted), with its respond-by time."""

    id: int
    title: str
    priority: str
    status: str
    department: str
    emergency: bool
    respond_by: IsoTime
    seconds_left: int  # negative once the time has passed


class UrgentCase(Frozen):
    id: int
    title: str
    department: str
    emergency: bool
    created_at: IsoTime


class Situation(Frozen):
    """The picture at `as_of`, of the whole city, of one department's cases (`department`) or of one
    grid's (`grid`)."""

    as_of: IsoTime
    zone: str
    department: str | None
    grid: str | None
    today_start: IsoTime  # the city's midnight
    open: int
    overdue: int
    waiting: int  # waiting for their first response
    open_by_priority: dict[str, int]
    points: list[CasePoint]  # the most pressing open cases first, at most `points_limit`
    points_limit: int
    grids: list[AreaLoad]
    streets: list[AreaLoad]
    departments: list[DepartmentLoad]
    hourly: list[HourFigure]
    countdowns: list[Countdown]  # the soonest respond-by first
    urgent: list[UrgentCase]  # open urgent cases, the newest first
