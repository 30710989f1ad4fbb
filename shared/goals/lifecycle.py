"""The goal lifecycle: pending -> active -> completed | abandoned.

A pending goal may also be abandoned (dropped before it was started); it may not be
completed without being activated first, so "completed" always means worked on.
Completed and abandoned are final. Setting the status a goal already has is not a
change, so a retried request succeeds without emitting anything twice."""

from __future__ import annotations

from typing import Literal

from shared.errors import Conflict

Status = Literal["pending", "active", "completed", "abandoned"]
STATUSES: tuple[Status, ...] = ("pending", "active", "completed", "abandoned")
OPEN: tuple[Status, ...] = ("pending", "active")

TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"active", "abandoned"}),
    "active": frozenset({"completed", "abandoned"}),
    "completed": frozenset(),
    "abandoned": frozenset(),
}


def check_transition(current: str, target: str) -> bool:
    """True when the status changes, False when it is already ``target``; raises
    ``Conflict`` for a change the lifecycle does not allow."""
    if current == target:
        return False
    if target not in TRANSITIONS.get(current, frozenset()):
        allowed = sorted(TRANSITIONS.get(current, frozenset()))
        hint = f"allowed: {', '.join(allowed)}" if allowed else f"a {current} goal is final"
        raise Conflict(f"a goal cannot go from {current} to {target} ({hint})")
    return True
