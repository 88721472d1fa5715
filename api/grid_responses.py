"""Answers of the 吹哨报到 routes and the notifications feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from api.responses import Public


class CallPublic(Public):
    """One department a whistle called in, and its 报到."""

    id: int
    department_id: str
    department_name: str
    due_by: datetime = Field(description="Report in (报到) by this time (UTC).")
    due_by_local: str = Field(description="The same time on the city's clock.")
    reported_at: datetime | None
    reported_by: str | None
    report_note: str | None
    late: bool = Field(description="Reported after its time.")
    escalated_at: datetime | None = Field(description="Not reported in by its time: escalated to the city centre.")


class WhistlePublic(Public):
    id: int
    case_id: int
    grid_id: str | None
    note: str
    actor: str
    mode: str = Field(description="The mode whose report-in time applies.")
    created_at: datetime
    calls: list[CallPublic]


class NotificationPublic(Public):
    id: int
    case_id: int | None
    audience: str = Field(description="city, street:ID, district:ID, department:ID or grid:ID")
    kind: str = Field(description="grid_dispatch, whistle, reported_in, escalated or report_missed")
    code: str
    text: str = Field(description="The notice in the caller's language.")
    values: dict[str, Any]
    created_at: datetime


class NotificationsPublic(Public):
    notifications: list[NotificationPublic]
    next: int = Field(description="Pass as `since` to read only newer notifications.")
