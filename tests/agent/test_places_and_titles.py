"""Places and titles are built from the gazetteer's canonical names: over every bundled dataset's
output, no place repeats or splices a name, none carries the words around a name, and every title
names the place and the problem in at most 30 characters."""

import re

import pytest

from agent.drafting import TemplateDrafter, place_parts, title_of
from agent.intake import ReportRejected
from agent.pipeline import TriagePipeline
from core.types import DedupResult, DraftFacts, ReportIn
from eval.datasets import read_dataset

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FILLER = ("那个", "这个", "一个", "站在", "我们", "你们", "他们", "附近的")


def _spliced(parts: list[str]) -> str | None:
    """A part inside another, or one part's end repeated as the next one's start (建设路 + 设路…)."""
    for i, a in enumerate(parts):
        for b in parts[i + 1:]:
            if a in b or b in a:
                return f"{a} / {b}"
        if i + 1 < len(parts):
            b = parts[i + 1]
            if any(a.endswith(b[:n]) for n in range(2, min(len(a), len(b)) + 1)):
                return f"{a} + {b}"
    return None


@pytest.mark.parametrize("name", ["zhengzhou_dev", "zhengzhou_test", "zhengzhou_fresh"])
def test_places_and_titles_are_canonical_on_every_dataset(pipeline: TriagePipeline, name: str) -> None:
    drafter, problems, checked = TemplateDrafter(), [], 0
    for row in read_dataset(name).reports:
        try:
            prepared = pipeline.prepare(ReportIn(text=row.text, title=row.title))
        except ReportRejected:
            continue
        facts = DraftFacts(intake=prepared.intake, understanding=prepared.understanding, routing=prepared.routing,
                           dedup=DedupResult(duplicate_of=None), deadlines=pipeline.deadlines(prepared))
        parts, title = place_parts(facts), title_of(facts)
        draft = drafter.draft(facts).draft
        checked += 1
        spliced = _spliced(parts)
        filler = [w for w in FILLER if w in "".join(parts)]
        repeated = re.search(r"(.{3,}).*\1", title)
        if spliced or filler or repeated or len(title) > 30 or draft.title != title:
            problems.append((row.id, "".join(parts), title, spliced, filler))
        category = prepared.understanding.classification.category.name
        assert title.endswith(category) or len(title) == 30, (row.id, title)
    assert checked > 400
    assert not problems, problems[:10]
