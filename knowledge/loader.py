"""Loads a knowledge-base folder and checks it, naming the file, the entry and the problem."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from core.settings import DEFAULT_KB
from knowledge.schema import (
    Clause,
    Department,
    District,
    KBMeta,
    LabelledUrgency,
    Landmark,
    Leaf,
    Policy,
    Road,
    Street,
    TopCategory,
    UrgencyExamples,
)

COORDINATE_SYSTEMS = ("wgs84", "gcj02")
FILES = ("kb.yaml", "departments.yaml", "taxonomy.yaml", "places.yaml", "policy.yaml")
OPTIONAL_FILES = ("urgency_examples.yaml",)

M = TypeVar("M", bound=BaseModel)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10× faster


@dataclass(frozen=True)
class KBProblem:
    file: str
    entry: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: {self.entry}: {self.problem}"


class KBError(ValueError):
    def __init__(self, directory: Path, problems: list[KBProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(
            f"knowledge base {directory} has {len(problems)} problem(s):\n{lines}{more}\n"
            f"Fix them and run `gridtriage kb check {directory}` again."
        )


@dataclass(frozen=True)
class KnowledgeBase:
    directory: Path
    digest: str
    meta: KBMeta
    departments: dict[str, Department]
    categories: dict[str, TopCategory]
    leaves: dict[str, Leaf]
    leaf_parent: dict[str, str]
    clauses: dict[str, Clause]
    clause_department: dict[str, str]
    districts: dict[str, District]
    streets: dict[str, Street]
    landmarks: dict[str, Landmark]
    roads: dict[str, Road]
    policy: Policy
    coordinate_system: str = "wgs84"  # of places.yaml's coordinates: "wgs84" or "gcj02" (China's maps)
    urgency_examples: UrgencyExamples | None = None  # urgency_examples.yaml, when the folder has it
    urgency_labelled: tuple[LabelledUrgency, ...] = ()  # the reports of the datasets it names

    def parent_of(self, leaf_id: str) -> TopCategory:
        return self.categories[self.leaf_parent[leaf_id]]

    def vocabulary(self) -> Iterator[str]:
        """Words the tokenizer must keep whole: place names, keywords, department aliases."""
        for d in self.departments.values():
            yield from (d.name, *(d.aliases))
            for c in d.duties:
                yield from c.keywords
        for leaf in self.leaves.values():
            yield from (leaf.name, *leaf.keywords)
        for group in (self.districts, self.streets, self.landmarks, self.roads):
            for place in group.values():
                yield place.name
                yield from place.aliases


def _entry_name(raw: Any, index: int) -> str:
    if isinstance(raw, dict) and raw.get("id"):
        return str(raw["id"])
    return f"entry #{index + 1}"


def _describe(error: ValidationError) -> Iterator[str]:
    for e in error.errors():
        where = ".".join(str(x) for x in e["loc"])
        yield f"{where}: {e['msg']}" if where else e["msg"]


class _Reader:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.problems: list[KBProblem] = []
        self.hasher = hashlib.sha256()

    def problem(self, file: str, entry: str, text: str) -> None:
        self.problems.append(KBProblem(file, entry, text))

    def document(self, file: str) -> dict[str, Any]:
        path = self.directory / file
        if not path.is_file():
            if file not in OPTIONAL_FILES:
                self.problem(file, "(file)", f"missing: every knowledge base needs {', '.join(FILES)}")
            return {}
        data = path.read_bytes()
        self.hasher.update(file.encode() + b"\0" + data)
        try:
            loaded = yaml.load(data, Loader=_YAML_LOADER)
        except yaml.YAMLError as exc:
            self.problem(file, "(file)", f"not valid YAML: {exc}")
            return {}
        if not isinstance(loaded, dict):
            self.problem(file, "(file)", "must be a mapping at the top level")
            return {}
        return loaded

    def entries(self, file: str, doc: dict[str, Any], key: str, model: type[M]) -> list[M]:
        raw = doc.get(key)
        if raw is None:
            self.problem(file, key, "missing list")
            return []
        if not isinstance(raw, list):
            self.problem(file, key, "must be a list")
            return []
        out = []
        for i, item in enumerate(raw):
            try:
                out.append(model.model_validate(item))
            except ValidationError as exc:
                for text in _describe(exc):
                    self.problem(file, f"{key} {_entry_name(item, i)}", text)
        return out

    def single(self, file: str, doc: dict[str, Any], model: type[M]) -> M | None:
        if not doc:
            return None
        try:
            return model.model_validate(doc)
        except ValidationError as exc:
            for text in _describe(exc):
                self.problem(file, "(top level)", text)
            return None

    def unique(self, file: str, kind: str, ids: Iterable[str]) -> None:
        seen: set[str] = set()
        for i in ids:
            if i in seen:
                self.problem(file, f"{kind} {i}", "duplicate id")
            seen.add(i)


def check_kb(directory: str | Path) -> list[KBProblem]:
    """Every problem in the folder; an empty list means it loads."""
    try:
        load_kb(directory)
    except KBError as exc:
        return exc.problems
    return []


def load_kb(directory: str | Path = DEFAULT_KB) -> KnowledgeBase:
    path = Path(directory)
    if not path.is_dir():
        raise KBError(path, [KBProblem(str(path), "(folder)", "is not a directory")])
    r = _Reader(path)
    meta = r.single("kb.yaml", r.document("kb.yaml"), KBMeta)
    departments = r.entries("departments.yaml", r.document("departments.yaml"), "departments", Department)
    tops = r.entries("taxonomy.yaml", r.document("taxonomy.yaml"), "categories", TopCategory)
    places = r.document("places.yaml")
    districts = r.entries("places.yaml", places, "districts", District)
    streets = r.entries("places.yaml", places, "streets", Street)
    landmarks = r.entries("places.yaml", places, "landmarks", Landmark)
    roads = r.entries("places.yaml", places, "roads", Road)
    coordinate_system = str(places.get("coordinate_system", "wgs84"))
    if coordinate_system not in COORDINATE_SYSTEMS:
        r.problem("places.yaml", "coordinate_system",
                  f"unknown '{coordinate_system}'; use one of {', '.join(COORDINATE_SYSTEMS)}")
    policy = r.single("policy.yaml", r.document("policy.yaml"), Policy)
    urgency_examples = r.single("urgency_examples.yaml", r.document("urgency_examples.yaml"), UrgencyExamples)

    r.unique("departments.yaml", "department", (d.id for d in departments))
    r.unique("departments.yaml", "clause", (c.id for d in departments for c in d.duties))
    leaves = [leaf for top in tops for leaf in top.children]
    r.unique("taxonomy.yaml", "category", [t.id for t in tops] + [leaf.id for leaf in leaves])
    r.unique("places.yaml", "place", (p.id for g in (districts, streets, landmarks, roads) for p in g))

    dept_ids = {d.id for d in departments}
    _check_taxonomy(r, tops, departments, policy)
    _check_places(r, districts, streets, landmarks, roads)
    if policy is not None:
        _check_policy(r, policy, dept_ids, {t.id for t in tops} | {leaf.id for leaf in leaves})
        _check_emergency_calls(r, policy, leaves, urgency_examples)

    labelled = _labelled_urgency(r, urgency_examples, {leaf.id: leaf for leaf in leaves})

    if r.problems or meta is None or policy is None:
        raise KBError(path, r.problems)
    return KnowledgeBase(
        directory=path,
        digest=r.hasher.hexdigest(),
        meta=meta,
        departments={d.id: d for d in departments},
        categories={t.id: t for t in tops},
        leaves={leaf.id: leaf for leaf in leaves},
        leaf_parent={leaf.id: t.id for t in tops for leaf in t.children},
        clauses={c.id: c for d in departments for c in d.duties},
        clause_department={c.id: d.id for d in departments for c in d.duties},
        districts={d.id: d for d in districts},
        streets={s.id: s for s in streets},
        landmarks={lm.id: lm for lm in landmarks},
        roads={road.id: road for road in roads},
        policy=policy,
        coordinate_system=coordinate_system,
        urgency_examples=urgency_examples,
        urgency_labelled=labelled,
    )


def _check_taxonomy(r: _Reader, tops: list[TopCategory], departments: list[Department], policy: Policy | None) -> None:
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


def _check_places(r: _Reader, districts: list[District], streets: list[Street], landmarks: list[Landmark],
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


def _labelled_urgency(r: _Reader, examples: UrgencyExamples | None,
                      leaves: dict[str, Leaf]) -> tuple[LabelledUrgency, ...]:
    """The reports of the labelled datasets urgency_examples.yaml names, with their urgency level."""
    out: list[LabelledUrgency] = []
    for name in examples.datasets if examples else ():
        file = (r.directory / name).resolve()
        try:
            data = file.read_bytes()
        except OSError as exc:
            r.problem("urgency_examples.yaml", f"datasets {name}", f"cannot read it: {exc.strerror}")
            continue
        r.hasher.update(name.encode() + b"\0" + data)
        for number, line in enumerate(data.decode("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                r.problem("urgency_examples.yaml", f"datasets {name}", f"line {number} is not JSON: {exc.msg}")
                continue
            text = " ".join(str(row.get(k) or "") for k in ("title", "text")).strip()
            if row.get("expect_error") or not text or (row.get("urgency") is None and row.get("urgent") is None):
                continue
            level = row.get("urgency") or ("urgent" if row["urgent"] else
                                           "high" if getattr(leaves.get(str(row.get("category"))), "priority",
                                                             "") == "urgent" else "normal")
            if level not in ("urgent", "high", "normal"):
                r.problem("urgency_examples.yaml", f"datasets {name}", f"line {number}: unknown urgency {level!r}")
                continue
            out.append(LabelledUrgency(source=f"{file.name}:{row.get('id', number)}", text=text, level=level,
                                       call=tuple(row.get("emergency") or ())))
    return tuple(out)


def _check_policy(r: _Reader, policy: Policy, dept_ids: set[str], category_ids: set[str]) -> None:
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


def _check_policy_categories(r: _Reader, policy: Policy, category_ids: set[str]) -> None:
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


def _check_emergency_calls(r: _Reader, policy: Policy, leaves: list[Leaf],
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
