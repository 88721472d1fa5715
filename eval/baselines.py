"""The simple alternatives evaluators compare GridTriage with, run on the same data in the same run."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from classifiers.text import Tokenizer, normalize
from knowledge.loader import KnowledgeBase

BASELINES = ("tfidf-svm", "keywords")


class TfidfSvm:
    """jieba tokens → TF-IDF → linear SVM: the classic strong baseline for Chinese complaint text."""

    name = "tfidf-svm"

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> TfidfSvm:
        self.vectorizer = TfidfVectorizer(analyzer=self.tokenizer.tokens, sublinear_tf=True)
        self.svm = LinearSVC(C=1.0)
        self.svm.fit(self.vectorizer.fit_transform([normalize(t) for t in texts]), list(labels))
        return self

    def rank(self, texts: Sequence[str]) -> list[list[str]]:
        scores = self.svm.decision_function(self.vectorizer.transform([normalize(t) for t in texts]))
        classes = list(self.svm.classes_)
        if scores.ndim == 1:
            return [[classes[1], classes[0]] if s > 0 else classes for s in scores]
        return [[classes[j] for j in np.argsort(-row)] for row in scores]


class KeywordRouter:
    """The rule list many hotlines start with: the category whose keywords appear most (longer
    keywords count more), and that category's default lead department."""

    name = "keywords"

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.keywords = {leaf.id: [normalize(k) for k in (*leaf.keywords, leaf.name) if len(k) >= 2]
                         for leaf in kb.leaves.values()}

    def rank(self, texts: Sequence[str]) -> list[list[str]]:
        out = []
        for text in texts:
            t = normalize(text)
            score = {leaf: sum(len(k) for k in words if k in t) for leaf, words in self.keywords.items()}
            out.append(sorted(score, key=lambda leaf: -score[leaf]))
        return out

    def department(self, leaf_id: str) -> str:
        return self.kb.leaves[leaf_id].lead[0]


class TfidfClauses:
    """The duty clause of a department most like the report by TF-IDF cosine (clause text and
    keywords): what plain retrieval would cite."""

    name = "tfidf-clauses"

    def __init__(self, kb: KnowledgeBase, tokenizer: Tokenizer) -> None:
        self.ids = [(dept.id, clause.id) for dept in kb.departments.values() for clause in dept.duties]
        texts = [normalize(f"{clause.text} {' '.join(clause.keywords)}")
                 for dept in kb.departments.values() for clause in dept.duties]
        self.vectorizer = TfidfVectorizer(analyzer=tokenizer.tokens, sublinear_tf=True)
        self.matrix = self.vectorizer.fit_transform(texts)

    def first(self, text: str, department_id: str) -> str | None:
        scores = (self.matrix @ self.vectorizer.transform([normalize(text)]).T).toarray().ravel()
        own = [i for i, (dept, _) in enumerate(self.ids) if dept == department_id]
        return self.ids[max(own, key=lambda i: scores[i])][1] if own else None


class TfidfDedup:
    """Same incident when the TF-IDF cosine with an earlier report's case reaches `threshold` inside
    the time window: text similarity alone, no place, category or kind."""

    name = "tfidf-dedup"
    threshold = 0.15  # the best pairwise F1 on zhengzhou_dev (0.37; swept 0.10–0.40)

    def __init__(self, tokenizer: Tokenizer, window_hours: float = 72.0) -> None:
        self.tokenizer, self.window = tokenizer, window_hours * 3600

    def clusters(self, texts: Sequence[str], times: Sequence[float], threshold: float | None = None) -> list[int]:
        """Each report's cluster (the index of the report that opened it), replayed in order."""
        limit = self.threshold if threshold is None else threshold
        matrix = TfidfVectorizer(analyzer=self.tokenizer.tokens, sublinear_tf=True).fit_transform(
            [normalize(t) for t in texts])
        sims = (matrix @ matrix.T).toarray()
        out: list[int] = []
        last: dict[int, float] = {}
        for i, when in enumerate(times):
            open_ = [c for c, t in last.items() if abs(when - t) <= self.window]
            best = max(open_, key=lambda c: sims[i, c], default=None)
            if best is not None and sims[i, best] >= limit:
                out.append(best)
                last[best] = max(last[best], when)
            else:
                out.append(i)
                last[i] = when
        return out
