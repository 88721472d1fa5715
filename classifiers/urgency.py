"""Urgency: life-safety signals from the policy's patterns, whatever the category, plus the
category's default priority when the classifier is confident enough."""

from __future__ import annotations

import re

from agent.types import Classification, Urgency, UrgencySignal
from knowledge.loader import KnowledgeBase

_NEGATION_WINDOW = 6


class UrgencyDetector:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._signals: list[tuple[str, str, re.Pattern[str]]] = []

    def warm_up(self) -> None:
        if self._signals:
            return
        spec = self.kb.policy.urgency
        self._signals = [
            (s.id, s.label, re.compile("|".join(f"(?:{p})" for p in s.patterns))) for s in spec.signals
        ]
        self._negations = tuple(spec.negations)

    def signals(self, text: str) -> list[UrgencySignal]:
        self.warm_up()
        found = []
        for signal_id, label, pattern in self._signals:
            for m in pattern.finditer(text):
                before = text[max(0, m.start() - _NEGATION_WINDOW) : m.start()]
                if any(n in before for n in self._negations):
                    continue
                found.append(UrgencySignal(id=signal_id, label=label, matched=m.group(0)))
                break
        return found

    def run(self, text: str, classification: Classification) -> Urgency:
        signals = self.signals(text)
        leaf = self.kb.leaves[classification.category.id]
        threshold = self.kb.policy.urgency.category_confidence
        if signals:
            labels = "、".join(s.label for s in signals)
            return Urgency(urgent=True, priority="urgent", signals=tuple(signals),
                           reason=f"life-safety signal: {labels}")
        resolved = next((w for w in self.kb.policy.urgency.resolved if w in text), None)
        if leaf.priority == "urgent" and resolved:
            return Urgency(urgent=False, priority="normal",
                           reason=f"category {leaf.name} is urgent by default, but the report says {resolved}")
        if leaf.priority == "urgent" and classification.confidence >= threshold:
            return Urgency(urgent=True, priority="urgent",
                           reason=f"category {leaf.name} is urgent by default "
                                  f"(confidence {classification.confidence:.2f} ≥ {threshold})")
        priority = "high" if leaf.priority == "urgent" else leaf.priority
        return Urgency(urgent=False, priority=priority, reason=f"default priority of {leaf.name}")
