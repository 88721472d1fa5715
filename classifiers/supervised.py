"""A classifier trained on labelled reports (any label set): TF-IDF over jieba words and over
character n-grams, plus the sentence embedding, in one multinomial logistic regression.

Saved as a model directory of plain files (JSON and NumPy arrays, no pickles), so a directory from
elsewhere cannot run code when loaded."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix, hstack

from classifiers.embedders import Embedder
from classifiers.text import Tokenizer, char_ngrams
from core import clock

FORMAT = 1


@dataclass
class SupervisedModel:
    labels: list[str]
    embedder_identity: str
    word_vocabulary: dict[str, int]
    word_idf: np.ndarray
    char_vocabulary: dict[str, int]
    char_idf: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    embedding_weight: float
    temperature: float = 1.0
    embed_max_chars: int = 256
    info: dict[str, Any] = field(default_factory=dict)

    # ---- training ------------------------------------------------------------------------------
    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[str], embedder: Embedder, tokenizer: Tokenizer,
              embedding_weight: float = 1.0, c: float = 200.0, embed_max_chars: int = 256,
              vectors: np.ndarray | None = None, tol: float = 1e-4, extra: np.ndarray | None = None,
              class_weight: str | None = None) -> SupervisedModel:
        """`vectors`: the texts' embeddings when the caller has them already; `extra`: further dense
        features per text (the same columns must be given at prediction)."""
        if len(set(labels)) < 2:
            raise ValueError("training needs at least two different labels")
        from sklearn.feature_extraction.text import TfidfVectorizer  # training only: prediction is numpy
        from sklearn.linear_model import LogisticRegression

        word = TfidfVectorizer(analyzer=lambda t: _words(tokenizer, t), sublinear_tf=True, min_df=1)
        char = TfidfVectorizer(analyzer=_chars, sublinear_tf=True, min_df=2)
        x_word = word.fit_transform(texts)
        x_char = char.fit_transform(texts)
        if vectors is None:
            vectors = embedder.embed([t[:embed_max_chars] for t in texts])
        blocks = [x_word, x_char, csr_matrix(vectors * embedding_weight)]
        if extra is not None:
            blocks.append(csr_matrix(extra))
        x = hstack(blocks).tocsr()
        model = LogisticRegression(C=c, max_iter=2000, tol=tol, class_weight=class_weight)
        model.fit(x, list(labels))
        return cls(
            labels=[str(v) for v in model.classes_], embedder_identity=embedder.identity,
            word_vocabulary={k: int(v) for k, v in word.vocabulary_.items()}, word_idf=word.idf_,
            char_vocabulary={k: int(v) for k, v in char.vocabulary_.items()}, char_idf=char.idf_,
            coef=model.coef_, intercept=model.intercept_, embedding_weight=embedding_weight,
            embed_max_chars=embed_max_chars, info={"trained_at": clock.now().isoformat(), "examples": len(texts),
                                                   "extra_features": 0 if extra is None else int(extra.shape[1])},
        )

    # ---- prediction ----------------------------------------------------------------------------
    def features(self, texts: Sequence[str], vectors: np.ndarray, tokenizer: Tokenizer,
                 extra: np.ndarray | None = None) -> csr_matrix:
        """The model's input rows: word and character TF-IDF, the embedding, then `extra`."""
        x_word = _tfidf([_words(tokenizer, t) for t in texts], self.word_vocabulary, self.word_idf)
        x_char = _tfidf([_chars(t) for t in texts], self.char_vocabulary, self.char_idf)
        blocks = [x_word, x_char, csr_matrix(vectors * self.embedding_weight)]
        expected = int(self.info.get("extra_features", 0))
        given = 0 if extra is None else int(extra.shape[1])
        if given != expected:
            raise ValueError(f"the model takes {expected} extra features, {given} were given")
        if extra is not None:
            blocks.append(csr_matrix(extra))
        return hstack(blocks).tocsr()

    def feature_names(self) -> list[str]:
        """What each input column is: the word or character n-gram, `embedding[i]`, `extra[i]`."""
        names = [""] * (len(self.word_vocabulary) + len(self.char_vocabulary))
        for term, j in self.word_vocabulary.items():
            names[j] = term
        for term, j in self.char_vocabulary.items():
            names[len(self.word_vocabulary) + j] = term
        dim = self.coef.shape[1] - len(names) - int(self.info.get("extra_features", 0))
        return (names + [f"embedding[{i}]" for i in range(dim)]
                + [f"extra[{i}]" for i in range(int(self.info.get("extra_features", 0)))])

    def logits(self, texts: Sequence[str], vectors: np.ndarray, tokenizer: Tokenizer,
               extra: np.ndarray | None = None) -> np.ndarray:
        return self.logits_of(self.features(texts, vectors, tokenizer, extra))

    def logits_of(self, x: csr_matrix) -> np.ndarray:
        scores = np.asarray(x @ self.coef.T + self.intercept)
        if self.coef.shape[0] == 1:  # binary: sklearn keeps one row for the second class
            scores = np.hstack([np.zeros_like(scores), scores])
        return scores

    def predict_proba(self, texts: Sequence[str], vectors: np.ndarray, tokenizer: Tokenizer,
                      extra: np.ndarray | None = None) -> np.ndarray:
        scores = self.logits(texts, vectors, tokenizer, extra) / self.temperature
        scores -= scores.max(axis=1, keepdims=True)
        p = np.exp(scores)
        return np.asarray(p / p.sum(axis=1, keepdims=True))

    # ---- files ---------------------------------------------------------------------------------
    def save(self, directory: str | Path, extra: dict[str, Any] | None = None) -> Path:
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        meta = {"format": FORMAT, "kind": "gridtriage-supervised-classifier", "labels": self.labels,
                "embedder": self.embedder_identity, "embedding_weight": self.embedding_weight,
                "temperature": self.temperature, "embed_max_chars": self.embed_max_chars,
                **self.info, **(extra or {})}
        (out / "model.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
        (out / "vocabulary.json").write_text(json.dumps(
            {"word": self.word_vocabulary, "char": self.char_vocabulary}, ensure_ascii=False), encoding="utf-8")
        np.savez(out / "weights.npz", word_idf=self.word_idf, char_idf=self.char_idf, coef=self.coef,
                 intercept=self.intercept)
        return out

    @classmethod
    def load(cls, directory: str | Path) -> SupervisedModel:
        path = Path(directory)
        try:
            meta = json.loads((path / "model.json").read_text(encoding="utf-8"))
            vocab = json.loads((path / "vocabulary.json").read_text(encoding="utf-8"))
            arrays = np.load(path / "weights.npz", allow_pickle=False)
        except (OSError, json.JSONDecodeError, ValueError) as exc:
            raise ValueError(f"{path} is not a GridTriage model directory ({exc}); "
                             "make one with `gridtriage train DATASET --out DIR`") from exc
        if meta.get("format") != FORMAT or meta.get("kind") != "gridtriage-supervised-classifier":
            raise ValueError(f"{path}/model.json is not a GridTriage model of format {FORMAT}")
        return cls(labels=meta["labels"], embedder_identity=meta["embedder"], word_vocabulary=vocab["word"],
                   word_idf=arrays["word_idf"], char_vocabulary=vocab["char"], char_idf=arrays["char_idf"],
                   coef=arrays["coef"], intercept=arrays["intercept"],
                   embedding_weight=float(meta["embedding_weight"]), temperature=float(meta.get("temperature", 1.0)),
                   embed_max_chars=int(meta.get("embed_max_chars", 256)), info=meta)


def _words(tokenizer: Tokenizer, text: str) -> list[str]:
    tokens = tokenizer.tokens(text)
    return tokens + [f"{a}_{b}" for a, b in pairwise(tokens)]


def _chars(text: str) -> list[str]:
    return sorted(char_ngrams(text, 2) | char_ngrams(text, 3))


def _tfidf(docs: list[list[str]], vocabulary: dict[str, int], idf: np.ndarray) -> csr_matrix:
    """The same transform as sklearn's TfidfVectorizer(sublinear_tf=True, norm='l2')."""
    rows, cols, vals = [], [], []
    for i, doc in enumerate(docs):
        counts: dict[int, int] = {}
        for term in doc:
            j = vocabulary.get(term)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            continue
        weights = {j: (1 + np.log(n)) * idf[j] for j, n in counts.items()}
        norm = np.sqrt(sum(w * w for w in weights.values()))
        for j, w in weights.items():
            rows.append(i)
            cols.append(j)
            vals.append(w / norm)
    return csr_matrix((vals, (rows, cols)), shape=(len(docs), len(vocabulary)))
