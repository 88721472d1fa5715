"""`gridtriage eval reply-drafts` on a few real pairs with the template drafter: every draft's facts
come from the disposal, and the verifier's scores are reported."""

from __future__ import annotations

import json

import pytest

from eval.reply_checks import SOURCE
from eval.shared_data import shared_data_dir
from tests.support.cli import run

pytestmark = pytest.mark.integration
SHARED = shared_data_dir()


@pytest.fixture(autouse=True)
def _needs_the_pairs() -> None:
    if SHARED is None or not (SHARED / SOURCE).is_file():
        pytest.skip(f"{SOURCE} is not in the shared data folder (../shared/data or GRIDTRIAGE_SHARED_DATA)")


def test_the_template_replies_state_only_the_disposals_facts() -> None:
    done = run("eval", "reply-drafts", "--llm", "none", "--cases", "4", "--json")
    assert done.returncode == 0, done.stderr
    (template,) = json.loads(done.stdout)["drafters"]
    assert template["drafter"] == "template"
    assert template["cases"] == 4
    assert template["own_drafts"] == 4
    assert template["drafts_with_unsupported_facts"] == 0
    assert 0.5 < template["grounding_mean"] <= 1
    assert template["relevance_mean"] > 0.9
    assert all(e["draft"].startswith("您好！您反映的“") for e in template["examples"])
