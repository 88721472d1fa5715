"""Locates the outside data sets in ../shared/data (never copied into the repository)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def shared_data_dir() -> Path | None:
    """GRIDTRIAGE_SHARED_DATA, else a `shared/data` folder beside or above the checkout."""
    configured = os.environ.get("GRIDTRIAGE_SHARED_DATA")
    if configured:
        return Path(configured) if Path(configured).is_dir() else None
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return None


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)
