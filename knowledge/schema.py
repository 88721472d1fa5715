"""The knowledge-base format: one pydantic model per entry kind, documented in the README."""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
Priority = Literal["urgent", "high", "normal", "low"]


class Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Clause(Entry):
    id: str = Field(pattern=ID_PATTERN)
    text: str = Field(min_length=4)
    keywords: tuple[str, ...] = ()
    legal_basis: str | None = None


class Department(Entry):
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=2)
    short_name: str | None = None
    aliases: tuple[str, ...] = ()
    level: Literal["city", "district", "street"]
    channel: str | None = None
    phone: str | None = None
    duties: tuple[Clause, ...] = Field(min_length=1)

    @field_validator("phone", mode="before")
    @classmethod
    def _phone_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


class DeadlineSpec(Entry):
    respond_minutes: int = Field(gt=0)
    arrive_minutes: int | None = Field(default=None, gt=0)
    resolve_hours: float = Field(gt=0)


class Leaf(Entry):
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=2)
    description: str = Field(min_length=4)
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = Field(min_length=3)
    lead: tuple[str, ...] = Field(min_length=1)
    assist: tuple[str, ...] = ()
    local_office: Literal["lead", "assist", "none"] = "none"
    priority: Priority = "normal"
    deadlines: DeadlineSpec
    visual: bool = False
    # English phrases for what a photo of the problem shows; zero-shot image classifiers (CLIP)
    # compare a photo against them.
    visual_prompts: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _prompts_only_when_visual(self) -> Leaf:
        if self.visual_prompts and not self.visual:
            raise ValueError(f"leaf {self.id!r} has visual_prompts but is not `visual: true`; "
                             "mark it visual or remove its visual_prompts")
        if any(not p.strip() for p in self.visual_prompts):
            raise ValueError(f"leaf {self.id!r} has an empty visual prompt")
        return self


class TopCategory(Entry):
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=2)
    description: str = ""
    children: tuple[Leaf, ...] = Field(min_length=1)


class District(Entry):
    id: str = Field(pattern=ID_PATTERN)
    name: str
    kind: Literal["district", "development-zone", "county-city", "county"] = "district"
    aliases: tuple[str, ...] = ()
    center: tuple[float, float] | None = None


class Street(Entry):
    id: str = Field(pattern=ID_PATTERN)
    name: str
    district: str
    aliases: tuple[str, ...] = ()
    center: tuple[float, float] | None = None
    communities: tuple[str, ...] = ()


class Landmark(Entry):
    id: str = Field(pattern=ID_PATTERN)
    name: str
    aliases: tuple[str, ...] = ()
    street: str | None = None
    streets: tuple[str, ...] = ()
    center: tuple[float, float] | None = None

    @property
    def street_ids(self) -> tuple[str, ...]:
        return (self.street,) if self.street else self.streets


class Road(Entry):
    id: str = Field(pattern=ID_PATTERN)
    name: str
    aliases: tuple[str, ...] = ()
    streets: tuple[str, ...] = Field(min_length=1)


class ModeDeadline(Entry):
    respond_minutes: int = Field(gt=0)
    arrive_minutes: int | None = Field(default=None, gt=0)
    resolve_hours: float = Field(gt=0)


class CategoryOverride(Entry):
    categories: tuple[str, ...] = Field(min_length=1)
    respond_minutes: int | None = Field(default=None, gt=0)
    arrive_minutes: int | None = Field(default=None, gt=0)
    resolve_hours: float | None = Field(default=None, gt=0)


class Mode(Entry):
    id: str = Field(pattern=ID_PATTERN)
    name: str
    description: str = ""
    auto_dispatch_threshold: float = Field(ge=0, le=1.01)
    deadlines: dict[Priority, ModeDeadline]
    category_overrides: tuple[CategoryOverride, ...] = ()

    @field_validator("deadlines")
    @classmethod
    def _all_priorities(cls, value: dict[str, ModeDeadline]) -> dict[str, ModeDeadline]:
        missing = {"urgent", "high", "normal", "low"} - set(value)
        if missing:
            raise ValueError(f"deadlines miss the priorities {sorted(missing)}")
        return value


class UrgencySignalSpec(Entry):
    id: str = Field(pattern=ID_PATTERN)
    label: str
    patterns: tuple[str, ...] = Field(min_length=1)


class UrgencySpec(Entry):
    signals: tuple[UrgencySignalSpec, ...] = Field(min_length=1)
    negations: tuple[str, ...] = ()
    resolved: tuple[str, ...] = ()
    category_confidence: float = Field(default=0.5, ge=0, le=1)


class Policy(Entry):
    default_mode: str
    modes: tuple[Mode, ...] = Field(min_length=1)
    urgency: UrgencySpec
    local_office_department: str
    off_remit_category: str | None = None
    # The category of a photo-only report with no text read from it and no vision backend's answer:
    # it goes to review, to the place's local office, and a person decides what it is.
    photo_only_category: str | None = None
    # Categories (first-level or leaf ids) whose handling needs the plate number; elsewhere plates
    # are masked before a report is shown to a language model.
    plate_categories: tuple[str, ...] = ()


class KBMeta(Entry):
    name: str
    city: str
    province: str | None = None
    timezone: str = "Asia/Shanghai"
    version: str = "1"
    description: str = ""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Asia/Shanghai") from None
        return value
