"""The columns of a new case, assembled from the pipeline's decision."""

from __future__ import annotations

from typing import Any

from core.messages import Message, message
from core.types import CaseDraft, Deadlines, PreparedReport


def place_grid(place: dict[str, Any]) -> dict[str, Any] | None:
    """The grid the report's point lies in, as the place stores it (`place["grid"]`), or None."""
    grid = place.get("grid")
    return grid if isinstance(grid, dict) and isinstance(grid.get("id"), str) else None


def grid_entry(grid: dict[str, Any]) -> dict[str, Any]:
    """The grid at the head of a grid-first case's departments: its 网格员 handle the case first and
    whistle departments in; the lead department stays answerable for the disposal."""
    name = str(grid.get("name") or grid["id"])
    members = [{"role": m.get("role"), "name": m.get("name")} for m in grid.get("members") or ()
               if isinstance(m, dict)]
    return {"id": grid["id"], "name": name, "role": "grid", "score": 1.0, "clauses": [], "members": members,
            "reason": message("route.grid_first", grid=name).model_dump()}


def new_case_row(prepared: PreparedReport, deadlines: Deadlines, draft: CaseDraft, review: list[Message],
                 mode: str, grid_first: bool = False) -> dict[str, Any]:
    """`grid_first`: the category is handled by the grid first (it goes to the grid when the place
    has one)."""
    u, routing = prepared.understanding, prepared.routing
    place, classification, urgency = u.place, u.classification, u.urgency
    stored_place = place.model_dump(mode="json")
    grid = place_grid(stored_place)
    departments = [d.model_dump(mode="json") for d in routing.departments]
    first = grid_first and grid is not None
    return {
        "status": "received",
        "category_id": classification.category.id,
        "category_name": classification.category.name,
        "priority": urgency.priority, "urgent": urgency.urgent,
        "confidence": classification.confidence, "needs_review": bool(review),
        "title": draft.title, "summary": draft.summary,
        "district_id": place.district.id if place.district else None,
        "street_id": place.street.id if place.street else None,
        "lead_department_id": routing.lead.id, "mode": mode,
        "respond_by": deadlines.respond_by, "arrive_by": deadlines.arrive_by,
        "resolve_by": deadlines.resolve_by, "due_by": deadlines.respond_by,
        "place": stored_place,
        "departments": [grid_entry(grid), *departments] if first and grid is not None else departments,
        "grid_id": grid["id"] if grid is not None else None, "grid_first": first,
        "draft": draft.model_dump(mode="json"),
        "emergency": urgency.emergency.model_dump(mode="json") if urgency.emergency else None,
        "kind": u.kind,
    }
