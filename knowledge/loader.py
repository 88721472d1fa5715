"""Loads a knowledge-base folder and checks it, naming the file, the entry and the problem."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from core.settings import DEFAULT_KB
from knowledge.checks import check_emergency_calls, check_places, check_policy, check_taxonomy
from knowledge.grid_checks import check_grids
from knowledge.grid_layer import read_grids
from knowledge.reading import KBError, KBProblem, KBReader
from knowledge.schema import (
    Clause,
    Department,
    District,
    Grid,
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
    grids: dict[str, Grid] = field(default_factory=dict)  # grids.geojson, when the folder has it

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
    r = KBReader(path)
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
    grids = read_grids(r)

    r.unique("departments.yaml", "department", (d.id for d in departments))
    r.unique("departments.yaml", "clause", (c.id for d in departments for c in d.duties))
    leaves = [leaf for top in tops for leaf in top.children]
    r.unique("taxonomy.yaml", "category", [t.id for t in tops] + [leaf.id for leaf in leaves])
    r.unique("places.yaml", "place", (p.id for g in (districts, streets, landmarks, roads) for p in g))

    dept_ids = {d.id for d in departments}
    check_taxonomy(r, tops, departments, policy)
    check_places(r, districts, streets, landmarks, roads)
    check_grids(r, grids, streets)
    if policy is not None:
        check_policy(r, policy, dept_ids, {t.id for t in tops} | {leaf.id for leaf in leaves})
        check_emergency_calls(r, policy, leaves, urgency_examples)

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
        grids={g.id: g for g in grids},
    )


def _labelled_urgency(r: KBReader, examples: UrgencyExamples | None,
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
