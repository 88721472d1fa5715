"""Verification (智能核查) of a department's disposal: does the reply answer this report, does it say
anything, does it answer all of it, and does the evidence show the problem solved at this place
after the report (agent/photo_evidence.py)? The verdict is `fail` (back to the department) when any
check clearly fails, `needs_person` (a supervisor decides) when any check cannot tell, and `pass`
only when every check passes. Without a vision backend nothing can judge what an after-photo shows,
so a resolved case with photos goes to a person, never to `pass` on its photos alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.photo_evidence import PhotoEvidence
from classifiers.replies import ReplyChecker
from core.messages import Message, message
from core.settings import VerificationSettings
from core.types import Disposal, Verification, VerifiedCase


@dataclass
class _Findings:
    failed: list[Message] = field(default_factory=list)
    unsure: list[Message] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)


class VerificationStage:
    def __init__(self, checker: ReplyChecker, settings: VerificationSettings, vision: bool = False) -> None:
        """`vision`: a vision backend can say whether the problem is still visible in a photo."""
        self.checker, self.settings, self.vision = checker, settings, vision
        self.photo_evidence = PhotoEvidence(settings)

    def run(self, case: VerifiedCase, disposal: Disposal) -> Verification:
        found = _Findings()
        check = self.checker.check(case.text, disposal.reply, case.title)
        self._text(check.relevance, check.substance, check.completeness, found)
        self._outcome(disposal, found)
        if disposal.outcome == "resolved":
            self._photos(case, disposal, found)
        verdict = "fail" if found.failed else "needs_person" if found.unsure else "pass"
        reasons = tuple(found.failed + found.unsure) or (message("verify.passed"),)
        return Verification(verdict=verdict, reasons=reasons, relevance=round(check.relevance, 3),
                            substance=round(check.substance, 3), completeness=round(check.completeness, 3),
                            evidence={**found.evidence, "features": vars(check.features)})

    def _text(self, relevance: float, substance: float, completeness: float, found: _Findings) -> None:
        s = self.settings
        for score, name in ((relevance, "irrelevant"), (substance, "no_substance")):
            shown = f"{score:.2f}"
            if score < s.fail_below:
                found.failed.append(message(f"verify.{name}", score=shown))
            elif score < s.pass_at:
                found.unsure.append(message(f"verify.{name}_unsure", score=shown))
        # Completeness agrees with hand labels no better than chance (README, 智能核查), so it never
        # sends a case back on its own: a very low score asks a person, any other is only shown.
        if completeness < s.fail_below:
            found.unsure.append(message("verify.incomplete_unsure", score=f"{completeness:.2f}"))

    @staticmethod
    def _outcome(disposal: Disposal, found: _Findings) -> None:
        undated = [c.text for c in disposal.commitments if c.due is None]
        if undated:
            found.failed.append(message("verify.commitment_undated", commitments="；".join(undated)))
        if disposal.outcome == "partly" and not disposal.commitments:
            found.failed.append(message("verify.partly_without_commitment"))
        if disposal.outcome == "not_our_remit":
            found.unsure.append(message("verify.not_our_remit"))

    def _photos(self, case: VerifiedCase, disposal: Disposal, found: _Findings) -> None:
        if not disposal.photos:
            found.unsure.append(message("verify.no_photo"))
            return
        photos = self.photo_evidence.check(case, disposal.photos)
        found.failed += photos.failed
        found.unsure += photos.unsure
        found.evidence.update(photos.evidence)
        if not self.vision:
            found.unsure.append(message("verify.photo_unjudged"))
