"""Drafted replies to citizens, measured (`gridtriage eval reply-drafts`): 40 real message–reply pairs
of the 2020 Teddy Cup from the held-out part of the reply-check split, each department's real reply
standing in for its disposal. Each drafter (the template, and the language model when one is set)
drafts the reply to the citizen from the message's title and text and that disposal only, and the
verifier's own parts check the draft:

- facts: every figure, place and office in the draft must be in the disposal or the title
  (`unsupported_facts`, the same check that guards the model's output, so a model draft that fails
  it was never offered; the figure here counts the drafts *offered*, model or template fallback);
- grounding: the share of the draft's content words that the disposal, the title or the message
  contain (the reply checker's tokenizer): words from nowhere are what a reader would have to trust;
- relevance and substance of the draft against the message (the reply checker's two models);
- latency per draft, and how often the model's draft was used rather than the template's.

The cases are chosen before any drafting: the first 40 test-split messages by the SHA-1 of their id
whose reply is 60 to 400 characters long.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from agent.models import Models
from agent.reply_drafting import ReplyDrafter, TemplateReplyDrafter, make_reply_drafter, unsupported_facts
from classifiers.replies import ReplyChecker
from core.settings import Settings
from core.types import ReplyDraft, ReplyFacts
from eval.reply_checks import SOURCE, split_of
from eval.shared_data import read_jsonl, shared_data_dir

CASES = 40
REPLY_CHARS = (60, 400)
DEPARTMENT = "承办单位"  # the pairs do not say which office answered


def reply_cases(n: int = CASES) -> list[ReplyFacts]:
    if n < 1:
        raise ValueError(f"--cases must be at least 1, not {n}")
    root = shared_data_dir()
    if root is None or not (root / SOURCE).is_file():
        raise FileNotFoundError(f"{SOURCE} is not under the shared data folder (GRIDTRIAGE_SHARED_DATA)")
    rows = [r for r in read_jsonl(root / SOURCE)
            if split_of(str(r["id"])) == "test" and REPLY_CHARS[0] <= len(r["reply"]) <= REPLY_CHARS[1]]
    rows.sort(key=lambda r: hashlib.sha1(str(r["id"]).encode()).hexdigest())
    return [ReplyFacts(case_id=int(r["id"]), title=r["title"], report=r["text"], department=DEPARTMENT,
                       disposal=r["reply"], outcome="explained") for r in rows[:n]]


def draft_all(drafter: ReplyDrafter, cases: list[ReplyFacts]) -> tuple[list[ReplyDraft], list[float]]:
    drafter.warm_up()
    drafts, seconds = [], []
    for facts in cases:
        started = time.perf_counter()
        drafts.append(drafter.draft(facts))
        seconds.append(time.perf_counter() - started)
    return drafts, seconds


def measure_drafts(name: str, cases: list[ReplyFacts], drafts: list[ReplyDraft], seconds: list[float],
                   checker: ReplyChecker, zone: ZoneInfo) -> dict[str, Any]:
    tokens = checker.tokenizer.tokens
    grounding, relevance, substance, unsupported = [], [], [], 0
    for facts, draft in zip(cases, drafts, strict=True):
        sources = set(tokens(f"{facts.title}。{facts.report}。{facts.disposal}"))
        words = set(tokens(draft.text))
        grounding.append(len(words & sources) / len(words) if words else 1.0)
        check = checker.check(facts.report, draft.text, facts.title)
        relevance.append(check.relevance)
        substance.append(check.substance)
        unsupported += bool(unsupported_facts(draft.text, facts, zone))
    used = sum(d.source == name for d in drafts)
    return {
        "drafter": name, "cases": len(cases),
        "own_drafts": used,  # drafts by this drafter itself, not its template fallback
        "fallbacks": sorted({(d.fallback_reason or "")[:80] for d in drafts} - {""}),
        "drafts_with_unsupported_facts": unsupported,
        "grounding_mean": round(float(np.mean(grounding)), 3), "grounding_min": round(float(np.min(grounding)), 3),
        "relevance_mean": round(float(np.mean(relevance)), 3), "substance_mean": round(float(np.mean(substance)), 3),
        "chars_mean": round(float(np.mean([len(d.text) for d in drafts])), 1),
        "latency_p50_s": round(float(np.percentile(seconds, 50)), 3),
        "latency_p95_s": round(float(np.percentile(seconds, 95)), 3),
        "examples": [{"id": f.case_id, "title": f.title, "draft": d.text, "source": d.source}
                     for f, d in list(zip(cases, drafts, strict=True))[:3]],
    }


def evaluate_reply_drafts(settings: Settings, n: int = CASES, models: Models | None = None) -> dict[str, Any]:
    """The template drafter, and the language model's when `settings.llm` names one. The model
    drafts first, alone on the cores; the reply checker loads after it."""
    cases = reply_cases(n)
    zone = ZoneInfo("Asia/Shanghai")
    drafters: list[ReplyDrafter] = [TemplateReplyDrafter(zone)]
    if settings.llm.provider != "none":
        drafters.append(make_reply_drafter(settings.llm, zone))
    drafted = [(d.name, *draft_all(d, cases)) for d in drafters]
    models = models or Models.load(settings)
    checker = ReplyChecker(models.embedder, models.tokenizer, settings.verification)
    return {"source": SOURCE, "selection": f"first {n} test-split messages by SHA-1 of id, reply "
                                           f"{REPLY_CHARS[0]}–{REPLY_CHARS[1]} chars",
            "drafters": [measure_drafts(name, cases, drafts, seconds, checker, zone)
                         for name, drafts, seconds in drafted]}
