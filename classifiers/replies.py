"""Reply checks, the text half of 智能核查: does a department's reply address this report, and does
it say anything beyond courtesy? Two logistic models over a few features a supervisor can read:

- relevance: how close the reply's meaning is to the report's (sentence embeddings), how much of
  the report's title and content words the reply takes up, and how many of the places it names the
  report never mentioned; a reply written for a neighbour's report names other things;
- substance: how many content words the reply adds that the report did not say (what was found,
  done, decided), how long it is, and how many figures and dates it gives; "已收悉，将尽快处理"
  adds almost nothing.

The weights are settings (`verification`), fit on the dev part of the 2020 Teddy Cup message–reply
pairs by `gridtriage eval replies --split dev --fit`; `eval/reply_checks.py` measures them on the
held-out part.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from classifiers.embedders.base import Embedder
from classifiers.text import Tokenizer
from core.settings import VerificationSettings

SENTENCE_END = re.compile(r"[。！？!?；;\n]+")
FIGURE = re.compile(r"\d+")
# A place as replies name one: a name ending in an administrative or street suffix (A2区, 桂花坪街道, 文化路)
PLACE = re.compile(r"[\u4e00-\u9fa5A-Za-z0-9]{1,8}?(?:自治县|街道|社区|小区|区|县|市|镇|乡|村|路|街|大道|广场)")
EMBED_CHARS = 256  # the embedder reads this much of each side


@dataclass(frozen=True)
class ReplyFeatures:
    similarity: float  # cosine of the report's and the reply's sentence embeddings
    title_recall: float  # share of the report title's content words the reply uses
    term_recall: float  # share of the report's content words the reply uses
    foreign_places: float  # share of the places the reply names that the report does not name
    new_terms: int  # content words of the reply that the report does not use
    chars: int
    figures: int  # numbers and dates in the reply

    def relevance_vector(self) -> list[float]:
        return [self.similarity, self.title_recall, self.term_recall, self.foreign_places]

    def substance_vector(self) -> list[float]:
        return [math.log1p(self.new_terms), math.log1p(self.chars), math.log1p(self.figures)]


@dataclass(frozen=True)
class ReplyCheck:
    relevance: float  # probability that the reply addresses this report
    substance: float  # probability that it says more than courtesy
    features: ReplyFeatures


class ReplyChecker:
    def __init__(self, embedder: Embedder, tokenizer: Tokenizer, settings: VerificationSettings) -> None:
        self.embedder, self.tokenizer, self.settings = embedder, tokenizer, settings

    def features(self, report: str, reply: str, title: str | None = None) -> ReplyFeatures:
        return self.features_many([(report, reply, title)])[0]

    def features_many(self, items: list[tuple[str, str, str | None]]) -> list[ReplyFeatures]:
        """Features of many (report, reply, title) at once: the embedder works in batches, and a text
        that several items share (one report checked against several replies) is embedded once."""
        texts = [f"{title}：{report}" if title else report for report, _, title in items]
        sides = [t[:EMBED_CHARS] for t in texts] + [r[:EMBED_CHARS] for _, r, _ in items]
        distinct = list(dict.fromkeys(sides))
        embedded = dict(zip(distinct, self.embedder.embed(distinct), strict=True))
        vectors = [embedded[side] for side in sides]
        n = len(items)
        out = []
        for i, (_, reply, title) in enumerate(items):
            report_terms = set(self.tokenizer.tokens(texts[i]))
            reply_terms = set(self.tokenizer.tokens(reply))
            title_terms = set(self.tokenizer.tokens(title or ""))
            places = set(PLACE.findall(reply))
            out.append(ReplyFeatures(
                similarity=float(np.dot(vectors[i], vectors[n + i])),
                title_recall=_share(title_terms, reply_terms) if title_terms else _share(report_terms, reply_terms),
                term_recall=_share(report_terms, reply_terms),
                foreign_places=sum(p not in texts[i] for p in places) / len(places) if places else 0.0,
                new_terms=len(reply_terms - report_terms),
                chars=len(reply.strip()),
                figures=len(FIGURE.findall(reply)),
            ))
        return out

    def check(self, report: str, reply: str, title: str | None = None) -> ReplyCheck:
        return self.score(self.features(report, reply, title))

    def score(self, f: ReplyFeatures) -> ReplyCheck:
        s = self.settings
        return ReplyCheck(relevance=_logistic(s.relevance_weights, s.relevance_bias, f.relevance_vector()),
                          substance=_logistic(s.substance_weights, s.substance_bias, f.substance_vector()),
                          features=f)


def _share(wanted: set[str], found: set[str]) -> float:
    return len(wanted & found) / len(wanted) if wanted else 0.0


def _logistic(weights: tuple[float, ...], bias: float, x: list[float]) -> float:
    z = bias + sum(w * v for w, v in zip(weights, x, strict=True))
    return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))
