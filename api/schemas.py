"""Request bodies and the bounded ids and offsets of paths and queries (the answers are in
`api.responses`)."""

from __future__ import annotations

import json
from datetime import date, datetime
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
    grid_id: str | None = Field(default=None, max_length=120,
                                description="Set the mode of this grid or exclusive grid only, beside the city's.")


# ---- closing the loop ------------------------------------------------------------------------------
MAX_DISPOSAL_PHOTOS = 6


class CommitmentIn(Body):
    text: str = Field(min_length=1, max_length=500, description="What the department will still do.")
    due: date | datetime | None = Field(default=None, description=(
        "By when: a date (the end of that day in the city's time zone) or a time with its offset. "
        "Verification fails a commitment without one."))


class DisposalCreate(Body):
    """What a department did (处置), sent as JSON or as `multipart/form-data` with the same fields
    (`commitments` as a JSON string) plus up to six after-`photos`."""

    reply: str = Field(min_length=1, max_length=5000, description="The department's reply: what it found and did.")
    outcome: Literal["resolved", "partly", "explained", "not_our_remit"] = Field(description=(
        "resolved | partly (give commitments with dates) | explained | not_our_remit (back to review, "
        "with the reason in `reply`)."))
    commitments: list[CommitmentIn] = Field(default=[], max_length=20)

    @model_validator(mode="before")
    @classmethod
    def _commitments_as_json(cls, data: Any) -> Any:
        """A multipart form sends the commitments as one JSON string."""
        if isinstance(data, dict) and isinstance(data.get("commitments"), str):
            try:
                data = {**data, "commitments": json.loads(data["commitments"])}
            except json.JSONDecodeError as exc:
                raise ValueError(f"commitments must be a JSON list of {{text, due}} objects ({exc})") from exc
        return data


class VerificationDecision(Body):
    verdict: Literal["pass", "fail"] = Field(description="pass: verified; fail: back to the department.")
    note: str = Field(default="", max_length=2000, description="Why; required when sending the case back.")


class ReplySend(Body):
    text: str = Field(min_length=1, max_length=5000, description="The reply as the citizen will read it.")
    drafted: str | None = Field(default=None, max_length=5000,
                                description="The draft the sender started from (POST …/reply-draft), if any.")
    source: Literal["template", "llm", "person"] = Field(
        default="person", description="Who wrote that draft: the template, the language model, or a person.")


class CallbackCreate(Body):
    satisfaction: Literal["satisfied", "basically", "unsatisfied"] = Field(
        description="满意 satisfied, 基本满意 basically, 不满意 unsatisfied (reopens the case to the same department).")
    note: str = Field(default="", max_length=2000, description="What the citizen said; required when unsatisfied.")


# ---- 吹哨报到 ----------------------------------------------------------------------------------------
MAX_WHISTLED = 20  # departments one whistle calls in


class WhistleCreate(Body):
    departments: list[Annotated[str, Field(max_length=120)]] = Field(
        min_length=1, max_length=MAX_WHISTLED, description="The departments called in (ids of GET /v1/departments).")
    note: str = Field(default="", max_length=2000, description="What the grid needs from them.")


class ReportInCreate(Body):
    note: str = Field(default="", max_length=2000, description="Who is coming, and when.")
