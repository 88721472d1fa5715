"""Whether the local language model can run here: its package and the bundled model's parts."""

from __future__ import annotations

import importlib.util

from agent.llm import bundled


def _missing() -> str | None:
    if importlib.util.find_spec("llama_cpp") is None:  # found, not imported: collecting stays light
        return "llama-cpp-python is not installed (scripts/setup installs it)"
    try:
        bundled.part_paths()
    except bundled.ModelFileError as exc:
        return str(exc)
    return None


MISSING = _missing()  # why the local model cannot run, or None
