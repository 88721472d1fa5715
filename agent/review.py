"""The review policy: why a person must look at a case before it goes out. Pure functions of the
pipeline's decision; each reason is a catalogue message (Chinese by default)."""

from __future__ import annotations

from core.messages import Message, lookup, message
from core.photo_types import PhotoFacts
from core.types import CaseDraft, Routing, Understanding
from knowledge.loader import KnowledgeBase


def review_reasons(kb: KnowledgeBase, mode_id: str, u: Understanding, joint: bool,
                   photos: tuple[PhotoFacts, ...] = ()) -> list[Message]:
    """Emergencies and urgent cases, categories read from photos alone or with low confidence for
    the city's mode, photos that disagree with the text, joint handling, places outside the city
    and reports outside the hotline's remit."""
    mode = next(m for m in kb.policy.modes if m.id == mode_id)
    reasons = []
    if u.urgency.emergency:
        reasons.append(message("review.emergency", services="、".join(c.name for c in u.urgency.emergency.call)))
    elif u.urgency.urgent:
        reasons.append(message("review.urgent"))
    category = u.classification.category
    scenes = [p.scene for p in photos if p.scene is not None and p.scene.category_id]
    if u.classification.source == "none":
        reasons.append(message("review.photo_only"))
    elif u.classification.source == "photo":
        reasons.append(message("review.photo_category", backend=scenes[0].backend if scenes else "vision"))
    elif u.classification.confidence < mode.auto_dispatch_threshold:
        reasons.append(message("review.low_confidence", confidence=f"{u.classification.confidence:.2f}",
                               mode=mode.name, threshold=f"{mode.auto_dispatch_threshold:.2f}"))
    for scene in scenes:
        if scene.category_id != category.id and scene.category_id in kb.leaves:
            reasons.append(message("review.photo_disagrees", photo=kb.leaves[scene.category_id].name,
                                   backend=scene.backend, text=category.name))
            break
    if joint:
        reasons.append(message("review.joint"))
    if u.place.outside_city:
        reasons.append(message("review.outside_city", city=kb.meta.city, place=u.place.outside_city))
    if kb.policy.off_remit_category and u.classification.category.id == kb.policy.off_remit_category:
        reasons.append(message("review.off_remit"))
    return reasons


def disagreements(draft: CaseDraft, u: Understanding, routing: Routing, kb: KnowledgeBase) -> list[Message]:
    """Where the drafter proposes something other than the pipeline decided. The pipeline's
    decision stands; a person settles the difference."""
    def category(leaf_id: str) -> str:
        return kb.leaves[leaf_id].name if leaf_id in kb.leaves else leaf_id

    def department(dept_id: str) -> str:
        return kb.departments[dept_id].name if dept_id in kb.departments else dept_id

    reasons = []
    if draft.category_id != u.classification.category.id:
        reasons.append(message("review.drafter_category", proposed=category(draft.category_id),
                               chosen=u.classification.category.name))
    if draft.lead_department_id not in {d.id for d in routing.departments if d.role == "lead"}:
        reasons.append(message("review.drafter_lead", proposed=department(draft.lead_department_id),
                               chosen=routing.lead.name))
    if draft.priority != u.urgency.priority:
        reasons.append(message("review.drafter_priority", proposed=lookup(f"priority.{draft.priority}"),
                               chosen=lookup(f"priority.{u.urgency.priority}")))
    return reasons
