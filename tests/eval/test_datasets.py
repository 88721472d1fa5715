"""The bundled evaluation datasets meet the evaluation issue's minimums and match the knowledge base."""

from collections import Counter

import pytest

from eval.datasets import read_dataset
from knowledge.loader import KnowledgeBase

pytestmark = pytest.mark.unit


def test_bundled_datasets_cover_the_knowledge_base(kb: KnowledgeBase) -> None:
    dev, test = read_dataset("zhengzhou_dev"), read_dataset("zhengzhou_test")
    rows = dev.reports + test.reports
    assert len(rows) >= 800
    per_leaf = Counter(r.category for r in rows if r.category)
    assert set(per_leaf) <= set(kb.leaves)
    text_leaves = set(kb.leaves) - {kb.policy.photo_only_category}  # that one is given to photos, not text
    assert min(per_leaf[leaf] for leaf in text_leaves) >= 5
    assert {r.department for r in rows if r.department} <= set(kb.departments)
    assert sum(bool(r.urgent) for r in rows) >= 60
    clusters = Counter(r.cluster for r in rows if r.cluster)
    assert sum(1 for n in clusters.values() if n >= 2) >= 50
    assert all(2 <= n <= 6 for n in clusters.values() if n >= 2)
    extra = [r.model_extra or {} for r in rows]
    assert sum(1 for e in extra if e.get("adversarial")) >= 40
    assert {e.get("register") for e in extra} >= {"spoken", "app", "formal", "typo", "mixed", "traditional"}
    assert {r.id for r in dev.reports}.isdisjoint({r.id for r in test.reports})
    dev_clusters = {r.cluster for r in dev.reports if r.cluster}
    assert dev_clusters.isdisjoint({r.cluster for r in test.reports if r.cluster}), "a cluster stays in one split"
