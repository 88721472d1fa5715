"""Request bodies and the bounded ids and offsets of paths and queries (the answers are in
`api.responses`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from agent.lifecycle import Status
from core.settings import REPORT_MAX_CHARS
from core.types import Priority

MAX_ID = 2**31 - 1  # the largest id both stores hold (PostgreSQL's integer): a larger one is malformed, not missing
MAX_OFFSET = 2**63 - 1  # the largest offset both databases take
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
CaseIdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
MAX_MINUTES = 10 * 366 * 24 * 60  # ten years: the longest age a queue filter asks about

class Body(BaseModel):
    """A request body: an unknown field is a mistake the client hears about (422), not ignored."""

    model_config = ConfigDict(extra="forbid")


class ReportCreate(Body):
    text: str = Field(default="", max_length=REPORT_MAX_CHARS,
                      description="What the citizen reported (a transcript or app text); may be empty with photos.")
    title: str | None = Field(default=None, max_length=500)
    channel: str = Field(default="api", max_length=40)
    contact: str | None = Field(default=None, max_length=200, description="Reporter's phone or e-mail.")
    reported_at: datetime | None = None
    address: str | None = Field(default=None, max_length=500)
    lat: float | None = Field(default=None, ge=-90, le=90,
                              description="Map pin in the knowledge base's coordinates (bundled: GCJ-02).")
    lon: float | None = Field(default=None, ge=-180, le=180)
    external_id: str | None = Field(default=None, max_length=200)


class Note(Body):
    note: str = Field(default="", max_length=2000)


class Confirm(Note):
    dispatch: bool = Field(default=True, description="Dispatch at once (else the case is only accepted).")


class CaseChanges(Body):
    """The fields of a case a person may change: give at least one. Ids are the knowledge base's
    (GET /v1/categories, GET /v1/departments)."""

    category_id: str = Field(default="", min_length=1, max_length=120, description="A leaf category's id.")
    lead_department_id: str = Field(default="", min_length=1, max_length=120)
    priority: Priority = "normal"
    urgent: StrictBool = False
    title: str = Field(default="", max_length=500)
    summary: str = Field(default="", max_length=5000)

    @model_validator(mode="after")
    def _at_least_one(self) -> CaseChanges:
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        return self

    def given(self) -> dict[str, Any]:
        """Only the fields the request named, in the order they are declared here."""
        return {name: getattr(self, name) for name in type(self).model_fields if name in self.model_fields_set}


class Edit(Body):
    changes: CaseChanges
    reason: str = Field(min_length=1, max_length=2000)


class Reassign(Body):
    department_id: str = Field(max_length=120)
    reason: str = Field(min_length=1, max_length=2000)


class Reject(Body):
    reason: Literal["not_our_remit", "spam", "insufficient_info"]
    note: str = Field(default="", max_length=2000)


class Merge(Body):
    into: Id = Field(description="The case this one duplicates.")
    reason: str = Field(default="duplicate", max_length=2000)
    confirm_different_place: bool = Field(
        default=False, description="Merge although the cases lie in different streets or districts (the 409 "
                                   "without it names the difference).")


class Split(Body):
    report_ids: list[Id] = Field(min_length=1, max_length=500, description="Reports that go to a new case.")
    reason: str = Field(min_length=1, max_length=2000)


class Transition(Body):
    to: Status
    note: str = Field(default="", max_length=2000)


class BulkConfirm(Body):
    case_ids: list[Id] = Field(min_length=1, max_length=500)
    note: str = Field(default="", max_length=2000)


class BulkReassign(Body):
    case_ids: list[Id] = Field(min_length=1, max_length=500)
    department_id: str = Field(max_length=120)
    reason: str = Field(min_length=1, max_length=2000)


class ModeSwitch(Body):
    mode: str = Field(max_length=40)
    reason: str = Field(min_length=1, max_length=2000)
