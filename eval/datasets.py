"""Dataset readers. A dataset is JSON Lines, one report per line: `id`, `text` (and optional
`title`, `time`), and whatever labels exist: `category`, `department`, `assist`, `urgent` (and
`urgency` levels), `emergency`, `clauses`, `cluster` (and `near_miss_of`), `alarming_harmless`,
`location`. Outside data sets are read in place from ../shared/data."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from eval.shared_data import read_jsonl, shared_data_dir

BUNDLED = Path(__file__).parent / "datasets"


class LabelledReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")

    id: str
    text: str
    title: str | None = None
    time: datetime | None = None
    category: str | None = None
    department: str | None = None
    assist: tuple[str, ...] = ()
    urgent: bool | None = None
    urgency: str | None = None  # urgent | high | normal, where the dataset has levels
    emergency: tuple[str, ...] | None = None  # the emergency services to call now
    clauses: tuple[str, ...] | None = None  # duty clauses of the lead department that justify it
    cluster: str | None = None
    near_miss_of: str | None = None  # a cluster this report must not merge with
    near_miss_kind: str | None = None
    alarming_harmless: bool = False
    location: dict[str, Any] | None = None
    expect_error: bool = False


class Dataset(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    digest: str
    reports: tuple[LabelledReport, ...]

    def has(self, label: str) -> bool:
        return any(getattr(r, label) is not None for r in self.reports)


def _coerce(row: dict[str, Any], label_field: str | None) -> dict[str, Any]:
    row = dict(row)
    row["id"] = str(row.get("id", ""))
    if label_field and label_field != "category":
        row["category"] = None if row.get(label_field) is None else str(row[label_field])
    if isinstance(row.get("time"), str):
        text = row["time"].strip()
        try:
            row["time"] = datetime.fromisoformat(text.replace("/", "-"))
        except ValueError:
            row["time"] = None
    if row.get("text") is None:
        row["text"] = ""
    return row


def read_dataset(path: str | Path, label_field: str | None = None) -> Dataset:
    """A JSONL file; `label_field` names the column to use as the category label. The name
    `teddy2020-hot` reads the Teddy Cup hot-issue messages with their derived duplicate groups."""
    if str(path) == "teddy2020-hot":
        return teddy_hot_groups()
    file = resolve_dataset(path)
    raw = file.read_bytes()
    reports, problems = [], []
    for number, line in enumerate(raw.decode("utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            reports.append(LabelledReport.model_validate(_coerce(json.loads(line), label_field)))
        except (json.JSONDecodeError, ValidationError) as exc:
            problems.append(f"line {number}: {exc}".splitlines()[0])
    if problems:
        raise ValueError(f"{file} has {len(problems)} bad line(s): " + "; ".join(problems[:5]))
    if not reports:
        raise ValueError(f"{file} has no reports")
    return Dataset(name=file.stem, digest=hashlib.sha256(raw).hexdigest(), reports=tuple(reports))


def feedback_dataset(db: str) -> Dataset:
    """The reports of every case a supervisor confirmed or corrected, labelled with the category
    they decided (the store's labelled-feedback table)."""
    from agent.store import CaseStore

    store = CaseStore.open(db)
    try:
        rows = store.feedback_labels("category_id")
    finally:
        store.close()
    if not rows:
        raise ValueError(f"{db} has no supervisor decisions on categories yet: nothing to train on")
    reports = tuple(LabelledReport(id=f"feedback-{i}", text=text, title=title, category=label)
                    for i, (text, title, label) in enumerate(rows))
    digest = hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()
    return Dataset(name=f"feedback:{Path(db).name}", digest=digest, reports=reports)


def combine(*datasets: Dataset) -> Dataset:
    if len(datasets) == 1:
        return datasets[0]
    digest = hashlib.sha256("".join(d.digest for d in datasets).encode()).hexdigest()
    return Dataset(name="+".join(d.name for d in datasets), digest=digest,
                   reports=tuple(r for d in datasets for r in d.reports))


def resolve_dataset(path: str | Path) -> Path:
    """A path, or the name of a bundled dataset (`zhengzhou_dev`), or `teddy2020/<file>` in shared data."""
    candidates = [Path(path), BUNDLED / str(path), BUNDLED / f"{path}.jsonl"]
    data = shared_data_dir()
    if data:
        candidates += [data / str(path), data / f"{path}.jsonl"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ValueError(f"dataset {path} not found: give a JSONL path or a bundled name such as zhengzhou_dev")


def teddy_labelled() -> Dataset:
    """Teddy Cup 2020 labelled sample: first-level labels (7 classes) as `category`."""
    data = shared_data_dir()
    if data is None:
        raise ValueError("../shared/data is not present: the Teddy Cup data is read from there")
    dataset = read_dataset(data / "teddy2020" / "messages_labelled_sample.jsonl", label_field="label")
    return dataset


def teddy_hot_groups(min_size: int = 2) -> Dataset:
    """Teddy Cup 2020 hot-issue messages with *derived* clusters: messages whose titles are identical
    after normalisation form a group. The organisers published no gold clusters; this measures
    whether near-identical messages are merged, not real incident identity."""
    data = shared_data_dir()
    if data is None:
        raise ValueError("../shared/data is not present: the Teddy Cup data is read from there")
    rows = list(read_jsonl(data / "teddy2020" / "messages_hot.jsonl"))
    key = {r["id"]: "".join(ch for ch in (r.get("title") or "") if ch.isalnum()) for r in rows}
    sizes: dict[str, int] = {}
    for k in key.values():
        sizes[k] = sizes.get(k, 0) + 1
    reports = [
        LabelledReport(id=str(r["id"]), text=r["text"], title=r.get("title"),
                       time=_teddy_time(r.get("time")),
                       cluster=key[r["id"]] if sizes[key[r["id"]]] >= min_size else f"single-{r['id']}")
        for r in rows
    ]
    digest = hashlib.sha256((data / "teddy2020" / "messages_hot.jsonl").read_bytes()).hexdigest()
    return Dataset(name="teddy2020_hot_title_groups", digest=digest, reports=tuple(reports))


def _teddy_time(value: str | None) -> datetime | None:
    if not value:
        return None
    for fmt in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None
