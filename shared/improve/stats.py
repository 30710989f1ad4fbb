"""What is known about one agent of one user: ratings, metrics, how its runs ended,
what the Evolver did for it, and where its improvements stand.

Runs are the agent's episodic memories other than evolutions; a run succeeded when its
``outcome`` is one of ``SUCCESS_OUTCOMES`` (case-insensitive). Evolutions are episodic
memories with ``interaction_type = 'evolution'`` whose ``context`` holds the Evolver's
``iterations``, ``initialScore``, ``finalScore`` and ``usage`` ({calls, tokens});
values missing or of the wrong JSON type are left out of the figures.

Sums and means are taken in ``numeric``: whatever a row holds (a metric stored before
values were bounded, a JSON number past the range of a double), no aggregate
overflows, and a figure a double cannot show is null rather than an error."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from shared.db import get_database

SUCCESS_OUTCOMES = ("success", "succeeded", "successful", "positive", "completed", "ok")
EVOLUTION = "evolution"


def _num(value: Any) -> float | None:
    if not isinstance(value, int | float | Decimal):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def agent_stats(user_id: str, agent_id: str) -> dict[str, Any]:
    key = (user_id, agent_id)
    with get_database().transaction() as tx:
        feedback = tx.one(
            "SELECT count(*) AS count, avg(rating)::float AS mean, "
            "count(*) FILTER (WHERE rating <= 2) AS low FROM agent_feedback "
            "WHERE user_id = %s AND agent_id = %s",
            key,
        )
        by_rating = tx.all(
            "SELECT rating, count(*) AS count FROM agent_feedback "
            "WHERE user_id = %s AND agent_id = %s GROUP BY rating",
            key,
        )
        metrics = tx.all(
            "SELECT name, count(*) AS count, avg(value::numeric) AS mean, min(value) AS min, "
            "max(value) AS max FROM agent_metrics WHERE user_id = %s AND agent_id = %s "
            "GROUP BY name ORDER BY name",
            key,
        )
        runs = tx.one(
            # a repeated interaction is one memory seen ``seen_count`` times
            "SELECT coalesce(sum(seen_count), 0)::int AS count, "
            "coalesce(sum(seen_count) FILTER (WHERE outcome IS NOT NULL), 0)::int "
            "  AS with_outcome, "
            "coalesce(sum(seen_count) FILTER (WHERE lower(outcome) = ANY(%s)), 0)::int "
            "  AS succeeded "
            "FROM episodic_memories WHERE user_id = %s AND agent_id = %s "
            "AND interaction_type IS DISTINCT FROM %s",
            (list(SUCCESS_OUTCOMES), user_id, agent_id, EVOLUTION),
        )
        evolver = tx.one(
            "SELECT count(*) AS evolutions, "
            "avg((context->>'iterations')::numeric) "
            "  FILTER (WHERE jsonb_typeof(context->'iterations') = 'number') AS mean_iterations, "
            "avg((context->>'finalScore')::numeric - (context->>'initialScore')::numeric) "
            "  FILTER (WHERE jsonb_typeof(context->'finalScore') = 'number' "
            "  AND jsonb_typeof(context->'initialScore') = 'number') AS mean_gain, "
            "sum((context->'usage'->>'calls')::numeric) "
            "  FILTER (WHERE jsonb_typeof(context->'usage'->'calls') = 'number') AS calls, "
            "sum((context->'usage'->>'tokens')::numeric) "
            "  FILTER (WHERE jsonb_typeof(context->'usage'->'tokens') = 'number') AS tokens "
            "FROM episodic_memories WHERE user_id = %s AND agent_id = %s "
            "AND interaction_type = %s",
            (user_id, agent_id, EVOLUTION),
        )
        improvements = tx.all(
            "SELECT status, count(*) AS count FROM agent_improvements "
            "WHERE user_id = %s AND agent_id = %s GROUP BY status",
            key,
        )
    assert feedback is not None and runs is not None and evolver is not None
    judged = runs["with_outcome"]
    return {
        "agentId": agent_id,
        "feedback": {
            "count": feedback["count"],
            "meanRating": feedback["mean"],
            "lowRated": feedback["low"],
            "byRating": {str(r): 0 for r in range(1, 6)}
            | {str(r["rating"]): r["count"] for r in by_rating},
        },
        "metrics": [
            {
                "name": m["name"],
                "count": m["count"],
                "mean": _num(m["mean"]),
                "min": _num(m["min"]),
                "max": _num(m["max"]),
            }
            for m in metrics
        ],
        "runs": {
            "count": runs["count"],
            "withOutcome": judged,
            "succeeded": runs["succeeded"],
            "successRate": runs["succeeded"] / judged if judged else None,
        },
        "evolver": {
            "evolutions": evolver["evolutions"],
            "meanIterations": _num(evolver["mean_iterations"]),
            "meanScoreGain": _num(evolver["mean_gain"]),
            "calls": int(evolver["calls"] or 0),
            "tokens": int(evolver["tokens"] or 0),
        },
        "improvements": {s: 0 for s in ("proposed", "active", "rejected")}
        | {i["status"]: i["count"] for i in improvements},
    }
