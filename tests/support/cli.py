"""The `gridtriage` command line as a subprocess, as an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXE = str(Path(sys.executable).with_name("gridtriage"))


def run(*args: str, stdin: str | None = None, llm: str = "none") -> subprocess.CompletedProcess[str]:
    """The CLI as a subprocess. Template drafting unless `llm` names a provider ("" = the default)."""
    return subprocess.run([EXE, *args], capture_output=True, text=True, input=stdin, timeout=600,
                          env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200", "GRIDTRIAGE_LLM": llm})
