"""The case lifecycle (接收 → 受理 → 派单 → 处置 → 核实 → 办结): states and the only allowed moves."""

from __future__ import annotations

from typing import Literal

from core.messages import Refusal, message

Status = Literal["received", "accepted", "dispatched", "handling", "resolved", "verified", "closed",
                 "rejected", "merged"]

STATUSES: tuple[Status, ...] = ("received", "accepted", "dispatched", "handling", "resolved", "verified",
                                "closed", "rejected", "merged")
CHINESE = {"received": "接收", "accepted": "受理", "dispatched": "派单", "handling": "处置",
           "resolved": "办结待核实", "verified": "核实", "closed": "办结", "rejected": "不予受理",
           "merged": "已合并"}

ALLOWED: dict[str, frozenset[str]] = {
    "received": frozenset({"accepted", "dispatched", "rejected", "merged"}),
    "accepted": frozenset({"dispatched", "rejected", "merged"}),
    "dispatched": frozenset({"handling", "accepted", "merged"}),  # accepted: the department sends it back
    "handling": frozenset({"resolved", "merged"}),
    "resolved": frozenset({"verified", "handling"}),  # verification fails: back to handling
    "verified": frozenset({"closed"}),
    "closed": frozenset({"handling"}),  # reopened
    "rejected": frozenset({"received"}),  # reopened
    "merged": frozenset(),
}
OPEN = frozenset({"received", "accepted", "dispatched", "handling", "resolved"})
# Cases a new report can be a duplicate of: the dedup index holds these and only these.
ATTRACTS_DUPLICATES = frozenset({"received", "accepted", "dispatched", "handling"})


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
