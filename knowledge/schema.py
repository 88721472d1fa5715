"""The knowledge-base format: one pydantic model per entry kind, documented in the README."""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.types import PRIORITIES, Priority

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"


def _as_text(value: object) -> object:
    """A phone number YAML read as an integer (12319) is the text it was written as."""
    return str(value) if isinstance(value, int) else value


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

    _phone_as_text = field_validator("phone", mode="before")(lambda value: _as_text(value))


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
    # The duty clauses that justify handling this category, for its lead and assisting departments and
    # the place's 街道办事处 (its territorial duty for this kind of problem): what a case cites.
    clauses: tuple[str, ...] = ()
    # Emergency services (ids of policy.yaml's `emergency_services`) an operator brings in at once
    # when a report of this category is urgent, e.g. ["119"] for a fire.
    emergency: tuple[str, ...] = ()
    # English phrases for what a photo of the problem shows; zero-shot image classifiers (CLIP)
    # compare a photo against them.
    visual_prompts: tuple[str, ...] = ()
    # Grid-level problems (neighbour disputes, stairwell clutter, estate hygiene): a case with a grid
    # goes to the grid's 网格员 first, who whistles departments in (吹哨) when needed.
    grid_first: bool = False

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


GridLevel = Literal["community", "grid", "micro", "exclusive"]
GRID_ROLES = ("网格长", "网格员", "下沉干部")


class GridMember(Entry):
    """A person on a grid's duty list. `contact` is shown only to roles with the personal-data ability."""

    role: Literal["网格长", "网格员", "下沉干部"]
    name: str = Field(min_length=1)
    duty_hours: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")  # "08:00-20:00", local
    contact: str | None = None

    _contact_as_text = field_validator("contact", mode="before")(lambda value: _as_text(value))


class Grid(Entry):
    """A grid of grids.geojson: one GeoJSON feature's properties plus its polygon. Community grids
    nest grids, grids nest micro-grids (`parent`); an exclusive grid (专属网格) may span streets and
    districts (`streets`) and overlap other grids. Coordinates are [lon, lat] as GeoJSON writes them,
    in the knowledge base's coordinate system (places.yaml's `coordinate_system`)."""

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=2)
    level: GridLevel
    parent: str | None = None
    street: str | None = None  # the street it belongs to (community, grid and micro grids)
    streets: tuple[str, ...] = ()  # an exclusive grid: every street it touches
    members: tuple[GridMember, ...] = ()
    geometry: dict[str, object]  # GeoJSON Polygon or MultiPolygon

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
    # The department's time to report its disposal, from dispatch (and afresh when verification
    # returns the case or a callback reopens it); absent: the resolve time.
    dispose_hours: float | None = Field(default=None, gt=0)


class StageHours(Entry):
    """The deadlines of the steps after a disposal, each from the moment the case entered the step."""

    verify_hours: float = Field(default=8, gt=0)  # a supervisor decides a verification left to a person
    reply_hours: float = Field(default=24, gt=0)  # the citizen is answered after verification passed
    callback_hours: float = Field(default=72, gt=0)  # the citizen is called back after the reply


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
    stage_hours: StageHours | None = None  # absent: the policy's
    # 吹哨报到: a department called in must report (报到) within this time; absent: the policy's.
    report_minutes: float | None = Field(default=None, gt=0)
    # Each step of the escalation ladder has this long before the next step; absent: the policy's.
    escalation_minutes: float | None = Field(default=None, gt=0)

    @field_validator("deadlines")
    @classmethod
    def _all_priorities(cls, value: dict[str, ModeDeadline]) -> dict[str, ModeDeadline]:
        missing = set(PRIORITIES) - set(value)
        if missing:
            raise ValueError(f"deadlines miss the priorities {sorted(missing)}")
        return value


EscalationLevel = Literal["grid", "street", "district", "city"]


class EscalationSpec(Entry):
    """The escalation ladder of an overdue case (grid → street → district → city) and its times."""

    ladder: tuple[EscalationLevel, ...] = ("grid", "street", "district", "city")
    report_minutes: float = Field(default=30, gt=0)  # 吹哨报到: a called department reports within this
    step_minutes: float = Field(default=60, gt=0)  # each escalation step's own deadline

    @field_validator("ladder")
    @classmethod
    def _ordered(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        order = ("grid", "street", "district", "city")
        if not value or list(value) != sorted(set(value), key=order.index):
            raise ValueError(f"the ladder lists distinct levels from the bottom up, a subset of {list(order)}")
        return value


class UrgencySignalSpec(Entry):
    id: str = Field(pattern=ID_PATTERN)
    label: str
    patterns: tuple[str, ...] = Field(min_length=1)
    call: tuple[str, ...] = ()  # emergency services this danger needs when the report is urgent


class EmergencyService(Entry):
    """A service the hotline hands an urgent caller to at once, and what the operator says."""

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=2)
    number: str = Field(min_length=2)
    script: tuple[str, ...] = Field(min_length=1)

    _number_as_text = field_validator("number", mode="before")(lambda value: _as_text(value))


class UrgencyExample(Entry):
    text: str = Field(min_length=2)
    call: tuple[str, ...] = ()


class LabelledUrgency(Entry):
    """A report of a labelled dataset, as the urgency model learns from it."""

    source: str  # the dataset file and the report's id
    text: str
    level: Literal["urgent", "high", "normal"]
    call: tuple[str, ...] = ()


class UrgencyExamples(Entry):
    """urgency_examples.yaml: reports labelled with the urgency level they need, for the urgency
    model to learn from. urgent: life or many people in danger now; high: a hazard to remove
    quickly; normal: everything else, alarming words used innocently included."""

    urgent: tuple[UrgencyExample, ...] = Field(min_length=1)
    high: tuple[UrgencyExample, ...] = Field(min_length=1)
    normal: tuple[UrgencyExample, ...] = Field(min_length=1)
    # Labelled report files (JSON Lines, paths relative to the knowledge-base folder) to learn from as
    # well: `text` (and `title`), and `urgency` (a level) or `urgent` (true/false); a report that is not
    # urgent but whose `category` is urgent by default counts as `high`.
    datasets: tuple[str, ...] = ()


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
    emergency_services: tuple[EmergencyService, ...] = ()
    stage_hours: StageHours = StageHours()
    escalation: EscalationSpec = EscalationSpec()

    def mode(self, mode_id: str) -> Mode:
        found = next((m for m in self.modes if m.id == mode_id), None)
        if found is None:
            raise ValueError(f"unknown mode {mode_id!r}; the knowledge base has {', '.join(m.id for m in self.modes)}")
        return found

    def report_minutes(self, mode_id: str) -> float:
        return self.mode(mode_id).report_minutes or self.escalation.report_minutes

    def escalation_minutes(self, mode_id: str) -> float:
        return self.mode(mode_id).escalation_minutes or self.escalation.step_minutes


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
