"""A settled swarm's output: the decision by its strategy, each member's output, vote
or score, timings and model usage. Fewer successes than the quorum fail the step
(``StepFailed``, not retryable: the members already had their retries), with the
members in the failure's output."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from shared.db import Row
from shared.memory.soul import current_soul
from shared.swarm import decide, members
from shared.workflows.errors import StepFailed

Strategy = Literal["vote", "best", "merge"]


def decided(
    strategy: Strategy, rows: Sequence[Row], quorum: int, user_id: str, vote_key: str | None
) -> dict[str, Any]:
    listed = [_member(r) for r in rows]
    ok = decide.succeeded(rows)
    base: dict[str, Any] = {
        "strategy": strategy,
        "quorum": quorum,
        "succeeded": len(ok),
        "members": listed,
    }
    if len(ok) < quorum:
        base["usage"] = _usage(listed)
        raise StepFailed(
            f"quorum not met: {len(ok)} of {len(rows)} members succeeded, {quorum} needed",
            output=base,
        )
    if strategy == "vote":
        tally = decide.vote(rows, vote_key)
        for member in listed:
            if member["status"] == "succeeded":
                member["vote"] = decide.answer(member["output"] or {}, vote_key)
        base |= {"decision": tally.winner, "winner": tally.winner_member, "tally": tally.counts}
        base["tieBreak"] = tally.tie
    else:
        base |= _judged(strategy, ok, listed, user_id)
    base["usage"] = _usage(listed, base.pop("judgeUsage", None))
    return base


def _judged(
    strategy: Strategy, ok: list[Row], listed: list[dict[str, Any]], user_id: str
) -> dict[str, Any]:
    """``best``: the highest critique score wins; ``merge``: the judge's combination,
    kept only when the critic scores it above the best member."""
    from shared.swarm import judging  # the Evolver's critic: loaded on use

    scored = judging.scores(user_id, [(r["agent_id"], r["output"]) for r in ok])
    by_index = {r["member_index"]: s for r, s in zip(ok, scored, strict=True)}
    judge = {"calls": 0, "inputTokens": 0, "outputTokens": 0}
    for member in listed:
        found = by_index.get(member["index"])
        if found is not None:
            member["score"], member["critique"] = found.score, found.critique
            if found.error is not None:
                member["critiqueError"] = found.error
            _add(judge, found.usage)
    winner = decide.pick({i: s.score for i, s in by_index.items()})
    if winner is None:  # no critique worked: nothing measured, the first success stands
        winner = ok[0]["member_index"]
    best = next(r for r in ok if r["member_index"] == winner)
    out: dict[str, Any] = {"decision": best["output"], "winner": winner, "judgeUsage": judge}
    if strategy == "best":
        return out
    others = [r["output"] for r in ok if r["member_index"] != winner]
    from shared.swarm import judging

    merged = judging.merge(best["agent_id"], [best["output"], *others], current_soul(user_id))
    _add(judge, merged.usage)
    merge_record: dict[str, Any] = {"output": merged.output, "score": None, "kept": False}
    if merged.output is None:
        merge_record["error"] = merged.error
    else:
        [graded] = judging.scores(user_id, [(best["agent_id"], merged.output)])
        _add(judge, graded.usage)
        merge_record["score"] = graded.score
        best_score = by_index[winner].score
        kept = graded.score is not None and (best_score is None or graded.score > best_score)
        merge_record["kept"] = kept
        if kept:
            out |= {"decision": merged.output, "winner": "merge"}
    return out | {"merge": merge_record}


def _member(row: Row) -> dict[str, Any]:
    return members.progress(row) | {
        "output": row["output"],
        "startedAt": _iso(row["started_at"]),
        "finishedAt": _iso(row["finished_at"]),
        "usage": row["usage"] or {"calls": 0, "inputTokens": 0, "outputTokens": 0},
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _add(total: dict[str, int], usage: Any) -> None:
    total["calls"] += usage.calls
    total["inputTokens"] += usage.input_tokens
    total["outputTokens"] += usage.output_tokens


def _usage(listed: list[dict[str, Any]], judge: dict[str, int] | None = None) -> dict[str, Any]:
    """Model usage of the members, of the critic and judge, and in all."""
    keys = ("calls", "inputTokens", "outputTokens")
    members = {k: sum(int(m["usage"].get(k, 0)) for m in listed) for k in keys}
    judging_usage = judge or dict.fromkeys(keys, 0)
    total = {k: members[k] + judging_usage[k] for k in keys}
    return {"members": members, "judging": judging_usage, "total": total}
