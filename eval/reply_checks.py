"""The reply-check dataset and its evaluation (`gridtriage eval replies`), from the 2,816 real
message–reply pairs of the 2020 Teddy Cup (`../shared/data/teddy2020/messages_replies.jsonl`).

The split is fixed by each message's id (SHA-1, 30 % test) and was set before any weight was fit:
weights are fit on `dev` only, and `test` measures them. From every pair with a reply of at least
two sentences:
- `real`: the message and its own reply (relevant, substantive);
- `other`: the message and the reply to another message of the same first-level category (the
  classifier's), from the same split (irrelevant, substantive);
- `courtesy`: the message and its reply cut to its courtesy, the opening sentence (the greeting,
  "已收悉") and the closing one (thanks) (relevant, no substance);
- `incomplete`: when the reply's body (classifiers/reply_parts.py: the sentences between the courtesy
  opening and closing) has two sentences or more, the message and its reply without its answering
  paragraph, the later half of the body (relevant, substantive, not complete).
Detection F1 is of the negative class: a mismatched reply found among real ones, a courtesy-only
reply found among real ones, an incomplete reply found among real ones. Each check is measured on
its own pairs (`checks`), so the held-out part can be measured once per check.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from agent.models import Models
from classifiers.replies import ReplyChecker, ReplyFeatures
from classifiers.reply_parts import without_answer
from core.settings import Settings
from eval.shared_data import read_jsonl, shared_data_dir

SOURCE = "teddy2020/messages_replies.jsonl"
SPLITS = ("dev", "test")
# check → (the examples it is measured on: the real reply and its negative kind, the score's name)
CHECKS = {"relevance": ("other", "mismatched_detection"), "substance": ("courtesy", "courtesy_detection"),
          "completeness": ("incomplete", "incomplete_detection")}


@dataclass(frozen=True)
class ReplyExample:
    message_id: str
    title: str
    message: str
    reply: str
    kind: str  # real, other, courtesy, incomplete
    relevant: bool
    substantive: bool
    complete: bool


def split_of(message_id: str) -> str:
    return "test" if int(hashlib.sha1(message_id.encode()).hexdigest(), 16) % 10 < 3 else "dev"


def courtesy_only(reply: str) -> str | None:
    """The reply's first and last sentences (with their end marks), or None when it has fewer than three."""
    parts = [p for p in re.split(r"(?<=[。！？!?；;\n])", reply.strip()) if p.strip()]
    if len(parts) < 3:
        return None
    return (parts[0] + parts[-1]).strip()


def build_examples(models: Models, split: str, seed: int = 2020) -> list[ReplyExample]:
    root = shared_data_dir()
    if root is None or not (root / SOURCE).is_file():
        raise ValueError(f"the reply-check dataset needs ../shared/data/{SOURCE} (or GRIDTRIAGE_SHARED_DATA)")
    rows = [r for r in read_jsonl(root / SOURCE) if split_of(str(r["id"])) == split
            and (r.get("reply") or "").strip() and (r.get("text") or "").strip()]
    texts = [f"{r.get('title') or ''}：{r['text']}" for r in rows]
    vectors = models.embedder.embed([t[:256] for t in texts])
    groups = [models.classifier.classify_vector(t, v).category.parent for t, v in zip(texts, vectors, strict=True)]
    by_group: dict[str, list[int]] = defaultdict(list)
    for i, group in enumerate(groups):
        by_group[group].append(i)
    rng = random.Random(seed)
    examples: list[ReplyExample] = []
    for i, row in enumerate(rows):
        cut = courtesy_only(row["reply"])
        if cut is None:
            continue
        base = {"message_id": str(row["id"]), "title": row.get("title") or "", "message": row["text"]}
        examples.append(ReplyExample(**base, reply=row["reply"], kind="real", relevant=True, substantive=True,
                                     complete=True))
        others = [j for j in by_group[groups[i]] if j != i] or [j for j in range(len(rows)) if j != i]
        examples.append(ReplyExample(**base, reply=rows[rng.choice(others)]["reply"], kind="other",
                                     relevant=False, substantive=True, complete=False))
        examples.append(ReplyExample(**base, reply=cut, kind="courtesy", relevant=True, substantive=False,
                                     complete=False))
        partial = without_answer(row["reply"])
        if partial is not None:
            examples.append(ReplyExample(**base, reply=partial, kind="incomplete", relevant=True, substantive=True,
                                         complete=False))
    return examples


def featurize(checker: ReplyChecker, examples: list[ReplyExample]) -> list[ReplyFeatures]:
    out: list[ReplyFeatures] = []
    for start in range(0, len(examples), 256):
        batch = examples[start:start + 256]
        out += checker.features_many([(e.message, e.reply, e.title) for e in batch])
    return out


def fit(features: list[ReplyFeatures], examples: list[ReplyExample],
        checks: tuple[str, ...] = tuple(CHECKS)) -> dict[str, Any]:
    """Logistic-regression weights for the checks named (dev only)."""
    from sklearn.linear_model import LogisticRegression

    out: dict[str, Any] = {}
    for name in checks:
        negative = CHECKS[name][0]
        pairs = [(_vector(name, f), _label(name, e)) for f, e in zip(features, examples, strict=True)
                 if e.kind in ("real", negative)]
        model = LogisticRegression(C=10.0, max_iter=1000).fit(np.array([x for x, _ in pairs]),
                                                              np.array([y for _, y in pairs]))
        out[f"{name}_weights"] = [round(float(w), 4) for w in model.coef_[0]]
        out[f"{name}_bias"] = round(float(model.intercept_[0]), 4)
    return out


def _vector(check: str, f: ReplyFeatures) -> list[float]:
    return {"relevance": f.relevance_vector, "substance": f.substance_vector,
            "completeness": f.completeness_vector}[check]()


def _label(check: str, e: ReplyExample) -> bool:
    return {"relevance": e.relevant, "substance": e.substantive, "completeness": e.complete}[check]


def measure(checker: ReplyChecker, features: list[ReplyFeatures], examples: list[ReplyExample],
            checks: tuple[str, ...] = tuple(CHECKS)) -> dict[str, Any]:
    """Detection of each named check's negatives among real replies, and the verdict (the lowest of
    the named checks' probabilities against pass_at and fail_below) per kind of example."""
    scores = [checker.score(f) for f in features]
    s = checker.settings
    kinds = {"real", *(CHECKS[c][0] for c in checks)}
    figures: dict[str, Any] = {}
    for name in checks:
        negative, figure = CHECKS[name]
        figures[figure] = _detection([(getattr(c, name) < 0.5, not _label(name, e)) for c, e in
                                      zip(scores, examples, strict=True) if e.kind in ("real", negative)])
    verdicts: dict[str, Counter[str]] = defaultdict(Counter)
    for c, e in zip(scores, examples, strict=True):
        if e.kind not in kinds:
            continue
        low = min(getattr(c, name) for name in checks)
        verdicts[e.kind]["pass" if low >= s.pass_at else "fail" if low < s.fail_below else "needs_person"] += 1
    figures["verdicts"] = {kind: dict(counts) for kind, counts in verdicts.items()}
    return figures


def evaluate_replies(settings: Settings, split: str, refit: bool, models: Models | None = None,
                     checks: tuple[str, ...] = tuple(CHECKS)) -> dict[str, Any]:
    """`checks`: which checks to fit (with `refit`, dev only) and measure."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose dev or test")
    if refit and split != "dev":
        raise ValueError("weights are fit on dev only; the test split only measures them")
    unknown = sorted(set(checks) - set(CHECKS))
    if unknown or not checks:
        raise ValueError(f"unknown check(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(CHECKS)}")
    models = models or Models.load(settings)
    examples = build_examples(models, split)
    checker = ReplyChecker(models.embedder, models.tokenizer, settings.verification)
    features = featurize(checker, examples)
    figures: dict[str, Any] = {"dataset": {"source": SOURCE, "split": split,
                                           "pairs": sum(e.kind == "real" for e in examples),
                                           "examples": dict(Counter(e.kind for e in examples)),
                                           "checks": list(checks)}}
    if refit:
        fitted = fit(features, examples, checks)
        figures["fitted"] = fitted
        checker = ReplyChecker(models.embedder, models.tokenizer,
                               settings.verification.model_copy(update={k: tuple(v) if isinstance(v, list) else v
                                                                        for k, v in fitted.items()}))
    figures.update(measure(checker, features, examples, checks))
    return figures


def _detection(pairs: list[tuple[bool, bool]]) -> dict[str, float | int]:
    """Precision, recall and F1 of flagging (predicted, actual) negatives."""
    tp = sum(p and a for p, a in pairs)
    fp = sum(p and not a for p, a in pairs)
    fn = sum(a and not p for p, a in pairs)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"examples": len(pairs), "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}
