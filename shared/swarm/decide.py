"""How a swarm decides, as pure functions over its members' rows.

A swarm is settled when every member ended, or when the members still out can no
longer bring the successes to the quorum. ``vote`` counts the answers (the member's
output, or one field of it, compared as canonical JSON); the most votes win, and a tie
goes to the tied answer cast by the lowest-numbered member, a rule recorded in the
output. ``pick`` chooses the highest score, a tie going to the lowest-numbered member
too, so the same members and scores always give the same decision."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.db import Row
from shared.swarm.members import ENDED

TIE_RULE = "the tied answer of the lowest-numbered member wins"
VOLATILE = frozenset({"id", "evolution"})  # per call, never part of an answer


def succeeded(rows: Sequence[Row]) -> list[Row]:
    return [r for r in rows if r["status"] == "succeeded"]


def settled(rows: Sequence[Row], quorum: int) -> bool:
    """Whether waiting longer could change the decision."""
    out = sum(1 for r in rows if r["status"] not in ENDED)
    return out == 0 or len(succeeded(rows)) + out < quorum


def answer(output: Any, key: str | None) -> Any:
    """What a member's output votes for: one (dotted) field of it, or all of it but
    its per-call bookkeeping."""
    if key is None:
        return {k: v for k, v in output.items() if k not in VOLATILE}
    value = output
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


@dataclass(frozen=True)
class Tally:
    winner: Any
    winner_member: int  # the lowest-numbered member that cast the winning answer
    counts: list[dict[str, Any]]  # each answer, its votes and who cast it, most votes first
    tie: dict[str, Any] | None  # the answers that tied for most votes, and the rule applied


def vote(rows: Sequence[Row], key: str | None) -> Tally:
    """The tally of the members that succeeded (there is at least one)."""
    ballots: dict[str, dict[str, Any]] = {}
    for row in succeeded(rows):
        value = answer(row["output"] or {}, key)
        canonical = json.dumps(value, sort_keys=True, default=str)
        entry = ballots.setdefault(canonical, {"answer": value, "votes": 0, "members": []})
        entry["votes"] += 1
        entry["members"].append(row["member_index"])
    counts = sorted(ballots.values(), key=lambda e: (-e["votes"], min(e["members"])))
    top = [e for e in counts if e["votes"] == counts[0]["votes"]]
    tie = None
    if len(top) > 1:
        tie = {"answers": [e["answer"] for e in top], "votes": top[0]["votes"], "rule": TIE_RULE}
    return Tally(counts[0]["answer"], min(counts[0]["members"]), counts, tie)


def pick(scores: dict[int, float | None]) -> int | None:
    """The member with the highest score (the lowest-numbered among equals); None when
    no member has one."""
    scored = [(score, index) for index, score in scores.items() if score is not None]
    if not scored:
        return None
    return min(scored, key=lambda s: (-s[0], s[1]))[1]
