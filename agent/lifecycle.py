"""The case lifecycle (接收 → 受理 → 派单 → 处置 → 核查 → 答复 → 办结): states and the only allowed moves.

A department's disposal moves a case to `disposed`; verification (智能核查) passes it to `verified`
or sends it back to the department (`returned`); a supervisor decides the cases verification left
to a person. The reply to the citizen makes it `replied`; the callback (回访) closes it, or an
unsatisfied citizen reopens it to the same department (`reopened`). A department that says the case
is not theirs sends it back to review (`received`).
"""

from __future__ import annotations

from typing import Literal

from core.messages import Refusal, message

Status = Literal["received", "accepted", "dispatched", "handling", "disposed", "verified", "replied", "closed",
                 "returned", "reopened", "rejected", "merged"]

STATUSES: tuple[Status, ...] = ("received", "accepted", "dispatched", "handling", "disposed", "verified",
                                "replied", "closed", "returned", "reopened", "rejected", "merged")

ALLOWED: dict[str, frozenset[str]] = {
    "received": frozenset({"accepted", "dispatched", "rejected", "merged"}),
    "accepted": frozenset({"dispatched", "rejected", "merged"}),
    "dispatched": frozenset({"handling", "accepted", "received", "merged"}),  # received: not ours, to review
    "handling": frozenset({"disposed", "received", "merged"}),
    "disposed": frozenset({"verified", "returned", "received"}),  # verification: pass, fail, not ours
    "returned": frozenset({"handling", "received", "merged"}),
    "reopened": frozenset({"handling", "received", "merged"}),
    "verified": frozenset({"replied", "closed", "returned"}),  # closed: nobody to answer (anonymous)
    "replied": frozenset({"closed", "reopened"}),
    "closed": frozenset({"reopened"}),
    "rejected": frozenset({"received"}),  # reopened
    "merged": frozenset(),
}
# Open: the problem is not yet fixed, so the resolve-by deadline runs and Open311 says `open`.
OPEN = frozenset({"received", "accepted", "dispatched", "handling", "disposed", "returned", "reopened"})
# Cases a new report can be a duplicate of: the dedup index holds these and only these.
ATTRACTS_DUPLICATES = frozenset({"received", "accepted", "dispatched", "handling", "returned", "reopened"})
# Where a department works on a case: it may report a disposal from these.
WITH_DEPARTMENT = frozenset({"dispatched", "handling", "returned", "reopened"})


class TransitionRefused(Refusal):
    """A move the lifecycle does not allow; the message lists the allowed ones."""


def check_transition(current: str, target: str) -> None:
    if target not in STATUSES:
        raise TransitionRefused(message("transition.unknown_status", target=target,
                                        statuses=[message(f"status.{s}") for s in STATUSES]))
    allowed = ALLOWED.get(current, frozenset())
    if target not in allowed:
        names = {"current": message(f"status.{current}"), "target": message(f"status.{target}")}
        if not allowed:
            raise TransitionRefused(message("transition.final", **names))
        raise TransitionRefused(message("transition.refused", **names,
                                        options=[message(f"status.{s}") for s in sorted(allowed)]))
