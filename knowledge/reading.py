"""Reading a knowledge-base folder's YAML files into schema models, collecting every problem with
the file and the entry it concerns."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

FILES = ("kb.yaml", "departments.yaml", "taxonomy.yaml", "places.yaml", "policy.yaml")
OPTIONAL_FILES = ("urgency_examples.yaml", "grids.geojson")  # grids.geojson: knowledge/grid_layer.py

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


def _entry_name(raw: Any, index: int) -> str:
    if isinstance(raw, dict) and raw.get("id"):
        return str(raw["id"])
    return f"entry #{index + 1}"


def _describe(error: ValidationError) -> Iterator[str]:
    for e in error.errors():
        where = ".".join(str(x) for x in e["loc"])
        yield f"{where}: {e['msg']}" if where else e["msg"]


class KBReader:
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
