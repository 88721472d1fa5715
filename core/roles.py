"""Who may do what: the roles a key or a user has, and the abilities each role grants. The API, the
pages, the workflow and the command line all read them from here. A `department` key or user is
bound to one department and sees and acts on that department's cases only; a `grid` key or user
(a 网格员) is bound to one grid and sees that grid's cases, whistling departments in (吹哨)."""

from __future__ import annotations

ABILITIES: dict[str, frozenset[str]] = {
    "operator": frozenset({"submit", "read", "edit", "personal_data", "reply", "callback"}),
    "supervisor": frozenset({"submit", "read", "edit", "review", "lifecycle", "mode", "personal_data", "export",
                             "verify", "reply", "callback", "brief", "whistle"}),
    "dispatcher": frozenset({"submit", "read", "lifecycle"}),
    "evaluator": frozenset({"read", "export", "brief"}),
    "department": frozenset({"read", "dispose", "report_in"}),
    "grid": frozenset({"read", "whistle"}),
}
ROLES: tuple[str, ...] = tuple(ABILITIES)
BOUND_TO_DEPARTMENT = "department"  # the role whose keys and users name their department
BOUND_TO_GRID = "grid"  # the role whose keys and users name their grid
