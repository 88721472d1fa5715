"""Reading the settings and asking the command line for help load none of the heavy libraries: they
load when a command that needs them runs."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit
HEAVY = ("faiss", "torch", "sqlalchemy", "alembic", "langchain_core", "transformers", "sklearn", "onnxruntime",
         "tensorflow", "llama_cpp")


def _loaded_after(code: str) -> list[str]:
    probe = (f"{code}\nimport sys\n"
             f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return proc.stdout.split()


@pytest.mark.parametrize("code", ["import core.settings; core.settings.Settings.load()",
                                  "from cli.app import app"])
def test_settings_and_the_command_line_load_nothing_heavy(code: str) -> None:
    assert _loaded_after(code) == []


def test_triage_without_a_language_model_loads_no_training_migration_or_llm_library() -> None:
    """What a template-drafting pipeline needs is numpy, FAISS, SQLAlchemy and the embedder; the
    trainers (scikit-learn), Alembic (only when a migration is due) and the LLM stack stay out."""
    loaded = _loaded_after("from agent.pipeline import TriagePipeline\n"
                           "from agent.drafting import make_drafter")
    assert set(loaded) == {"faiss", "sqlalchemy"}
