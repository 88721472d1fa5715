"""The TF-IDF baselines the evaluation puts beside GridTriage: clause retrieval and text-only merging."""

import pytest

from classifiers.text import Tokenizer
from eval.baselines import TfidfClauses, TfidfDedup
from knowledge.loader import KnowledgeBase

pytestmark = pytest.mark.unit
HOUR = 3600.0


def test_text_only_dedup_merges_alike_texts_inside_the_window_only() -> None:
    dedup = TfidfDedup(Tokenizer(), window_hours=72)
    texts = ["文化路东风路口井盖丢了，晚上很危险", "文化路东风路口井盖丢了，晚上很危险，快来修",
             "大学路垃圾桶满了没人清理", "文化路东风路口井盖丢了，晚上很危险"]
    clusters = dedup.clusters(texts, [0, 2 * HOUR, 3 * HOUR, 200 * HOUR], threshold=0.5)
    assert clusters == [0, 0, 2, 3]  # the last is alike but ten days later


def test_clause_retrieval_cites_a_clause_of_the_given_department(kb: KnowledgeBase) -> None:
    clauses = TfidfClauses(kb, Tokenizer())
    dept = next(iter(kb.departments.values()))
    clause = dept.duties[0]
    assert clauses.first(clause.text, dept.id) == clause.id
    assert clauses.first(clause.text, "no-such-department") is None
