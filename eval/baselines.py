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
