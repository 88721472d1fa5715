"""The names a briefing shows for the ids the store keeps, as the knowledge base spells them; an id
the knowledge base does not know shows itself."""

from __future__ import annotations

from knowledge.loader import KnowledgeBase


class Names:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    def top_category(self, category_id: str) -> str:
        """The first-level category of a leaf (or of a first-level id)."""
        return self.kb.leaf_parent.get(category_id, category_id.split(".")[0])

    def category(self, top_id: str) -> str:
        top = self.kb.categories.get(top_id)
        return top.name if top else top_id

    def department(self, department_id: str) -> str:
        department = self.kb.departments.get(department_id)
        return department.name if department else department_id

    def street(self, street_id: str | None) -> str:
        """"" for a case whose street is not known: the renderers say so in the reader's language."""
        if not street_id:
            return ""
        street = self.kb.streets.get(street_id)
        return street.name if street else street_id
