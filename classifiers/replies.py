"""Reply checks, the text half of 智能核查: does a department's reply address this report, does it
say anything beyond courtesy, and does it answer all of it? Three logistic models over a few
features a supervisor can read:

- relevance: how close the reply's meaning is to the report's (sentence embeddings), how much of
  the report's title and content words the reply takes up, and how many of the places it names the
  report never mentioned; a reply written for a neighbour's report names other things;
- substance: how many content words the reply adds that the report did not say (what was found,
  done, decided), how long it is, and how many figures and dates it gives; "已收悉，将尽快处理"
  adds almost nothing;
- completeness: how much of each of the report's requests (classifiers/reply_parts.py) the reply's
  body takes up, how long the body is, how many of its sentences say what was found or done, and
  how many say what will be done next; a reply that restates the problem and stops before the
  handling answers only part of it. Whether the promises have dates is a feature shown, not
  weighed: a structured commitment without a date fails verification on its own.

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
from classifiers.reply_parts import DATED, PROMISE, reply_parts, requests
from classifiers.text import Tokenizer
from core.settings import VerificationSettings

SENTENCE_END = re.compile(r"[。！？!?；;\n]+")
FIGURE = re.compile(r"\d+")
# A place as replies name one: a name ending in an administrative or street suffix (A2区, 桂花坪街道, 文化路)
PLACE = re.compile(r"[\u4e00-\u9fa5A-Za-z0-9]{1,8}?(?:自治县|街道|社区|小区|区|县|市|镇|乡|村|路|街|大道|广场)")
EMBED_CHARS = 256  # the embedder reads this much of each side
# A sentence that says what was found, done or decided
HANDLING = re.compile(r"经|已|现已|查实|核实|调查|处理|处置|整改|责令|安排|完成|落实|解决|清理|修复|更换|回复|答复|"
                      r"规定|根据|按照|决定|不予|不属|无法|可以|需要")


@dataclass(frozen=True)
class ReplyFeatures:
    similarity: float  # cosine of the report's and the reply's sentence embeddings
    title_recall: float  # share of the report title's content words the reply uses
    term_recall: float  # share of the report's content words the reply uses
    foreign_places: float  # share of the places the reply names that the report does not name
    new_terms: int  # content words of the reply that the report does not use
    chars: int
    figures: int  # numbers and dates in the reply
    request_recall: float  # mean share of each request's content words that the reply's body uses
    body_sentences: int  # sentences between the courtesy opening and closing
    body_chars: int
    handling: float  # share of the body's sentences that say what was found, done or decided
    promises: int  # body sentences that say what will be done (将, 计划, 下一步…)
    undated_promises: int  # of those, the ones without a date or deadline

    def relevance_vector(self) -> list[float]:
        return [self.similarity, self.title_recall, self.term_recall, self.foreign_places]

    def substance_vector(self) -> list[float]:
        return [math.log1p(self.new_terms), math.log1p(self.chars), math.log1p(self.figures)]

    def completeness_vector(self) -> list[float]:
        return [self.request_recall, math.log1p(self.body_sentences), math.log1p(self.body_chars), self.handling,
                math.log1p(self.promises)]


@dataclass(frozen=True)
class ReplyCheck:
    relevance: float  # probability that the reply addresses this report
    substance: float  # probability that it says more than courtesy
    completeness: float  # probability that it answers every request of the report
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
            body = reply_parts(reply).body
            body_terms = set(self.tokenizer.tokens("".join(body)))
            report = f"{title}。{items[i][0]}" if title else items[i][0]
            asked = [set(self.tokenizer.tokens(r)) for r in requests(report)]
            asked = [terms for terms in asked if terms]
            promised = [b for b in body if PROMISE.search(b)]
            out.append(ReplyFeatures(
                similarity=float(np.dot(vectors[i], vectors[n + i])),
                title_recall=_share(title_terms, reply_terms) if title_terms else _share(report_terms, reply_terms),
                term_recall=_share(report_terms, reply_terms),
                foreign_places=sum(p not in texts[i] for p in places) / len(places) if places else 0.0,
                new_terms=len(reply_terms - report_terms),
                chars=len(reply.strip()),
                figures=len(FIGURE.findall(reply)),
                request_recall=sum(_share(t, body_terms) for t in asked) / len(asked) if asked else 0.0,
                body_sentences=len(body),
                body_chars=sum(len(b.strip()) for b in body),
                handling=sum(bool(HANDLING.search(b)) for b in body) / len(body) if body else 0.0,
                promises=len(promised),
                undated_promises=sum(not DATED.search(b) for b in promised),
            ))
        return out

    def check(self, report: str, reply: str, title: str | None = None) -> ReplyCheck:
        return self.score(self.features(report, reply, title))

    def score(self, f: ReplyFeatures) -> ReplyCheck:
        s = self.settings
        # A reply with nothing between its greeting and its thanks answers no request; the model,
        # fit on replies that all had a body, would not know it.
        complete = 0.0 if f.body_sentences == 0 else _logistic(s.completeness_weights, s.completeness_bias,
                                                                f.completeness_vector())
        return ReplyCheck(relevance=_logistic(s.relevance_weights, s.relevance_bias, f.relevance_vector()),
                          substance=_logistic(s.substance_weights, s.substance_bias, f.substance_vector()),
                          completeness=complete, features=f)


def _share(wanted: set[str], found: set[str]) -> float:
    return len(wanted & found) / len(wanted) if wanted else 0.0


def _logistic(weights: tuple[float, ...], bias: float, x: list[float]) -> float:
    z = bias + sum(w * v for w, v in zip(weights, x, strict=True))
    return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))
