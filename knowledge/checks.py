"""Checks across a knowledge base's files: every id a file names exists where it should."""

from __future__ import annotations

import re
from collections.abc import Iterable

from knowledge.reading import KBReader
from knowledge.schema import (
    Department,
    District,
    Landmark,
    Leaf,
    Policy,
    Road,
    Street,
    TopCategory,
    UrgencyExamples,
)


def check_taxonomy(r: KBReader, tops: list[TopCategory], departments: list[Department], policy: Policy | None) -> None:
    """Each leaf sits under its parent's id and names known departments, and known clauses of those."""
    dept_ids = {d.id for d in departments}
    clause_owner = {c.id: d.id for d in departments for c in d.duties}
    for top in tops:
        for leaf in top.children:
            where = f"category {leaf.id}"
            if not leaf.id.startswith(top.id + "."):
                r.problem("taxonomy.yaml", where, f"leaf id must start with its parent id '{top.id}.'")
            for dep in (*leaf.lead, *leaf.assist):
                if dep not in dept_ids:
                    r.problem("taxonomy.yaml", where, f"unknown department '{dep}'")
            owners = {*leaf.lead, *leaf.assist}
            if leaf.local_office != "none" and policy is not None:
                owners.add(policy.local_office_department)
            for clause in leaf.clauses:
                owner = clause_owner.get(clause)
                if owner is None:
                    r.problem("taxonomy.yaml", where, f"unknown clause '{clause}'")
                elif owner not in owners:
                    r.problem("taxonomy.yaml", where, f"clause '{clause}' is a duty of '{owner}', which is neither "
                                                      f"a lead nor an assisting department of this category")


def check_places(r: KBReader, districts: list[District], streets: list[Street], landmarks: list[Landmark],
                  roads: list[Road]) -> None:
    """Streets name a known district; landmarks and roads name known streets."""
    district_ids = {d.id for d in districts}
    street_ids = {s.id for s in streets}
    for s in streets:
        if s.district not in district_ids:
            r.problem("places.yaml", f"streets {s.id}", f"unknown district '{s.district}'")
    for lm in landmarks:
        if not lm.street_ids:
            r.problem("places.yaml", f"landmarks {lm.id}", "needs `street` or `streets`")
        for sid in lm.street_ids:
            if sid not in street_ids:
                r.problem("places.yaml", f"landmarks {lm.id}", f"unknown street '{sid}'")
    for road in roads:
        for sid in road.streets:
            if sid not in street_ids:
                r.problem("places.yaml", f"roads {road.id}", f"unknown street '{sid}'")


def check_policy(r: KBReader, policy: Policy, dept_ids: set[str], category_ids: set[str]) -> None:
    mode_ids = [m.id for m in policy.modes]
    r.unique("policy.yaml", "mode", mode_ids)
    if policy.default_mode not in mode_ids:
        r.problem("policy.yaml", "default_mode", f"'{policy.default_mode}' is not one of the modes")
    if policy.local_office_department not in dept_ids:
        r.problem(
            "policy.yaml", "local_office_department", f"unknown department '{policy.local_office_department}'"
        )
    _check_policy_categories(r, policy, category_ids)
    for signal in policy.urgency.signals:
        for pattern in signal.patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                r.problem("policy.yaml", f"urgency signal {signal.id}", f"bad pattern {pattern!r}: {exc}")


def _check_policy_categories(r: KBReader, policy: Policy, category_ids: set[str]) -> None:
    """Every category policy.yaml names is one of the taxonomy's."""
    if policy.photo_only_category and policy.photo_only_category not in category_ids:
        r.problem("policy.yaml", "photo_only_category", f"unknown category '{policy.photo_only_category}'")
    if policy.off_remit_category and policy.off_remit_category not in category_ids:
        r.problem("policy.yaml", "off_remit_category", f"unknown category '{policy.off_remit_category}'")
    for cat in policy.plate_categories:
        if cat not in category_ids:
            r.problem("policy.yaml", "plate_categories", f"unknown category '{cat}'")
    for mode in policy.modes:
        for override in mode.category_overrides:
            for cat in override.categories:
                if cat not in category_ids:
                    r.problem("policy.yaml", f"mode {mode.id}", f"override names unknown category '{cat}'")


def check_emergency_calls(r: KBReader, policy: Policy, leaves: list[Leaf],
                           examples: UrgencyExamples | None) -> None:
    """Every emergency service named anywhere is one of policy.yaml's `emergency_services`."""
    services = [s.id for s in policy.emergency_services]
    r.unique("policy.yaml", "emergency service", services)
    known = set(services)

    def check(file: str, entry: str, calls: Iterable[str]) -> None:
        for call in calls:
            if call not in known:
                r.problem(file, entry, f"unknown emergency service '{call}'; policy.yaml's emergency_services "
                                       f"has {', '.join(services) or 'none'}")

    for leaf in leaves:
        check("taxonomy.yaml", f"category {leaf.id}", leaf.emergency)
    for signal in policy.urgency.signals:
        check("policy.yaml", f"urgency signal {signal.id}", signal.call)
    if examples is not None:
        for i, example in enumerate(examples.urgent):
            check("urgency_examples.yaml", f"urgent #{i + 1}", example.call)
