"""Who may do what: the roles a key or a user has, and the abilities each role grants. The API, the
pages, the workflow and the command line all read them from here."""

from __future__ import annotations

ABILITIES: dict[str, frozenset[str]] = {
    "operator": frozenset({"submit", "read", "edit", "personal_data"}),
    "supervisor": frozenset({"submit", "read", "edit", "review", "lifecycle", "mode", "personal_data", "export"}),
    "dispatcher": frozenset({"submit", "read", "lifecycle"}),
    "evaluator": frozenset({"read", "export"}),
}
ROLES: tuple[str, ...] = tuple(ABILITIES)
