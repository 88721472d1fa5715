"""The public shape of a triage result, shared by the CLI's --json, batch output and the API."""

from __future__ import annotations

from typing import Any

from core.photo_types import PhotoFacts
from core.types import Place, TriageResult, Understanding


def public_case(result: TriageResult) -> dict[str, Any]:
    u = result.understanding
    c = u.classification
    place = u.place
    return {
        "case_id": result.case_id,
        "report_id": result.report_id,
        "duplicate_of": result.duplicate_of,
        "reporter_count": result.reporter_count,
        "category": {"id": c.category.id, "name": c.category.name, "parent": c.category.parent,
                     "parent_name": c.category.parent_name},
        "confidence": c.confidence,
        "category_source": c.source,
        "alternatives": [{"id": a.category.id, "name": a.category.name, "probability": a.probability}
                         for a in c.alternatives[1:]],
        "urgent": u.urgency.urgent,
        "priority": u.urgency.priority,
        "urgency_level": u.urgency.level,
        "urgency_reason": u.urgency.reason.public(),
        "urgency_evidence": list(u.urgency.evidence),
        "emergency": u.urgency.emergency.model_dump(mode="json") if u.urgency.emergency else None,
        "place": {
            "text": result.draft.place,
            "district": place.district.name if place.district else None,
            "street": place.street.name if place.street else None,
            "street_candidates": [s.name for s in place.street_candidates],
            "landmark": place.landmark.name if place.landmark else None,
            "roads": [r.name for r in place.roads],
            "lat": place.lat, "lon": place.lon,
            "outside_city": place.outside_city,
            **public_grids(place),
        },
        "departments": [
            {"id": d.id, "name": d.name, "role": d.role, "score": d.score,
             "clauses": [{"id": cl.id, "text": cl.text} for cl in d.clauses]}
            for d in result.routing.departments
        ],
        "joint_handling": result.routing.joint,
        "title": result.draft.title,
        "summary": result.draft.summary,
        "request": result.draft.request,
        "suggested_steps": list(result.draft.suggested_steps),
        "rationale": result.draft.rationale,
        "cited_clause_ids": list(result.draft.cited_clause_ids),
        "drafter": result.draft.drafter,
        "draft_fallback": result.draft_fallback,
        "draft_proposal": {"category_id": result.draft.category_id,
                           "lead_department_id": result.draft.lead_department_id,
                           "assisting_department_ids": list(result.draft.assisting_department_ids),
                           "priority": result.draft.priority},
        "deadline": result.deadlines.resolve_by.isoformat(),
        "deadlines": result.deadlines.model_dump(mode="json"),
        "needs_review": result.needs_review,
        "review_reasons": [r.public() for r in result.review_reasons],
        "similar_cases": [c.model_dump(mode="json") for c in result.dedup.candidates],
        "photos": [public_photo(p) for p in result.intake.photos],
        "photo_text": result.intake.photo_text,
        "timings_ms": result.timings_ms,
    }


def public_grids(place: Place) -> dict[str, Any]:
    """The place's grid, its candidates and the border flag, members' contacts included (readers
    without the personal-data ability get `hide_grid_contacts` of it)."""
    return {"grid": place.grid.model_dump(mode="json") if place.grid else None,
            "grid_candidates": [g.model_dump(mode="json") for g in place.grid_candidates],
            "grid_border": place.grid_border}


_NO_CONTACTS = {"members": {"__all__": {"contact"}}}


def audited_understanding(understanding: Understanding) -> dict[str, Any]:
    """The understanding as the audit log keeps it: grid members' contacts left out (every reader of
    the trail sees it; the case's place keeps them for the roles that may see them)."""
    return understanding.model_dump(mode="json", exclude={
        "place": {"grid": _NO_CONTACTS, "grid_candidates": {"__all__": _NO_CONTACTS}}})


def hide_grid_contacts(place: dict[str, Any], hidden: str) -> dict[str, Any]:
    """A public place (a case's stored place or a triage answer's) with every grid member's contact
    replaced by `hidden`."""
    def grid(g: dict[str, Any]) -> dict[str, Any]:
        return {**g, "members": [{**m, "contact": hidden if m.get("contact") else None}
                                 for m in g.get("members") or []]}

    out = dict(place)
    if out.get("grid"):
        out["grid"] = grid(out["grid"])
    if out.get("grid_candidates"):
        out["grid_candidates"] = [grid(g) for g in out["grid_candidates"]]
    return out


def public_photo(photo: PhotoFacts) -> dict[str, Any]:
    """What a photo contributed (no pixels: fetch them at `/v1/photos/{sha256}`)."""
    return {
        "sha256": photo.sha256, "format": photo.format, "width": photo.width, "height": photo.height,
        "size_bytes": photo.size_bytes, "filename": photo.filename, "ocr_text": photo.ocr_text,
        "taken_at": photo.taken_at.isoformat() if photo.taken_at else None,
        "lat": photo.lat, "lon": photo.lon,
        "scene": photo.scene.model_dump(mode="json") if photo.scene else None,
    }
