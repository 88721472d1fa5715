"""The columns of a new case, assembled from the pipeline's decision."""

from __future__ import annotations

from typing import Any

from core.messages import Message
from core.types import CaseDraft, Deadlines, PreparedReport


def new_case_row(prepared: PreparedReport, deadlines: Deadlines, draft: CaseDraft, review: list[Message],
                 mode: str) -> dict[str, Any]:
    u, routing = prepared.understanding, prepared.routing
    place, classification, urgency = u.place, u.classification, u.urgency
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
        "place": place.model_dump(mode="json"),
        "departments": [d.model_dump(mode="json") for d in routing.departments],
        "draft": draft.model_dump(mode="json"),
        "emergency": urgency.emergency.model_dump(mode="json") if urgency.emergency else None,
        "kind": u.kind,
    }
