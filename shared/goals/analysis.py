"""What a user did lately and what goals that suggests (the seed's analyzeForGoals).

Activity is the last seven days of episodic memories, per agent and interaction
type: how many, and the share whose outcome was ``success``. The model reads it with
the user's open goals and answers with 1-3 suggested goals and insights, as a
validated structure. A model failure is not an error: the analysis says it is
unavailable and suggests nothing."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from shared.db import Row, Tx, get_database
from shared.goals.lifecycle import OPEN
from shared.logs import get
from shared.model import get_model
from shared.model.offline import heuristic
from shared.model.port import ModelFailure

log = get(__name__)

ACTIVITY_DAYS = 7

SYSTEM = (
    "You are the goal engine of a creator platform. From the user's recent agent activity "
    "and current goals, suggest 1 to 3 NEW goals that are specific, measurable within a few "
    "weeks, and not already covered by a current goal. Give each a short title, a "
    "description, a priority from 1 (low) to 10 (high) and the rationale in the data. Add "
    "short insights about the activity."
)


class SuggestedGoal(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    priority: int = Field(5, ge=1, le=10)
    rationale: str = Field("", max_length=2000)


class GoalAnalysis(BaseModel):
    suggested_goals: list[SuggestedGoal] = Field(min_length=1, max_length=3)
    insights: list[str] = Field(default_factory=list, max_length=10)


@dataclass
class Analysis:
    suggestions: list[SuggestedGoal]
    insights: list[str]
    available: bool = True
    activity: list[Row] = field(default_factory=list)


def recent_activity(tx: Tx, user_id: str, days: int = ACTIVITY_DAYS) -> list[Row]:
    """Counts and success rates per (agent_id, interaction_type), busiest first. The
    memory store keeps a repeated interaction as one row seen ``seen_count`` times, so
    rows are weighted by it. The Evolver's own records are not the user's activity."""
    return tx.all(
        "SELECT agent_id, interaction_type, sum(seen_count)::int AS count, "
        "(sum(CASE WHEN outcome = 'success' THEN seen_count ELSE 0 END)::float8 "
        " / sum(seen_count)) AS success_rate "
        "FROM episodic_memories WHERE user_id = %s AND created_at > now() - make_interval("
        "days => %s) AND interaction_type IS DISTINCT FROM 'evolution' GROUP BY agent_id, interaction_type "
        "ORDER BY sum(seen_count) DESC, agent_id, interaction_type LIMIT 100",
        (user_id, days),
    )


def open_goals(tx: Tx, user_id: str) -> list[Row]:
    return tx.all(
        "SELECT title, status, priority FROM goals WHERE user_id = %s AND status = ANY(%s) "
        "ORDER BY priority DESC, created_at DESC LIMIT 50",
        (user_id, list(OPEN)),
    )


def analyze(user_id: str) -> Analysis:
    with get_database().transaction() as tx:
        activity = recent_activity(tx, user_id)
        goals = open_goals(tx, user_id)
    data = {"activity": activity, "currentGoals": goals}
    prompt = (
        f"RECENT ACTIVITY (last {ACTIVITY_DAYS} days, per agent and interaction type):\n"
        f"{json.dumps(activity)}\n\nCURRENT GOALS:\n"
        + ("\n".join(f"- {g['title']} ({g['status']})" for g in goals) or "None")
        + "\n\nSuggest 1-3 new goals and insights."
    )
    try:
        answer = get_model().generate_structured(prompt, GoalAnalysis, system=SYSTEM, data=data)
    except ModelFailure as exc:
        log.warning("goal analysis unavailable for a user: %s (%s)", exc.message, exc.kind)
        return Analysis(
            [],
            [f"Goal analysis is unavailable right now ({exc.kind}); no goals were suggested."],
            available=False,
            activity=activity,
        )
    return Analysis(answer.value.suggested_goals, answer.value.insights, activity=activity)


@heuristic(GoalAnalysis)
def _offline_analysis(prompt: str, data: Mapping[str, Any]) -> GoalAnalysis:
    """Offline heuristic, not judgement. Rubric: the agent with the lowest success rate
    (among agents with at least 3 interactions, if any) gets an improvement goal when
    under 90%, priority rising as the rate falls; the most frequent interaction type
    gets a goal to scale it; no activity at all gets a goal to start a routine."""
    activity: list[Mapping[str, Any]] = list(data.get("activity") or [])
    note = "Offline heuristic analysis: fixed rules over the week's counts, no language model."
    if not activity:
        return GoalAnalysis(
            suggested_goals=[
                SuggestedGoal(
                    title="Establish a weekly creation routine",
                    description="Run at least one agent task on three days of the coming week.",
                    priority=5,
                    rationale=f"No agent activity was recorded in the last {ACTIVITY_DAYS} days.",
                )
            ],
            insights=[note, f"No activity recorded in the last {ACTIVITY_DAYS} days."],
        )
    agents: dict[str, list[float]] = {}
    kinds: dict[str, int] = {}
    for row in activity:
        count = int(row["count"])
        tally = agents.setdefault(str(row.get("agent_id") or "unassigned"), [0, 0.0])
        tally[0] += count
        tally[1] += count * float(row["success_rate"])
        kind = str(row.get("interaction_type") or "unspecified")
        kinds[kind] = kinds.get(kind, 0) + count
    total = sum(int(t[0]) for t in agents.values())
    succeeded = sum(t[1] for t in agents.values())
    insights = [
        note,
        f"{total} interactions across {len(agents)} agents; {succeeded / total:.0%} succeeded.",
    ]
    suggestions = []
    pool = {a: t for a, t in agents.items() if t[0] >= 3} or agents
    weakest, (tried, wins) = min(
        pool.items(), key=lambda kv: (kv[1][1] / kv[1][0], -kv[1][0], kv[0])
    )
    rate, count = wins / tried, int(tried)
    if rate < 0.9:
        insights.append(f"{weakest} has the lowest success rate: {rate:.0%} of {count}.")
        suggestions.append(
            SuggestedGoal(
                title=f"Improve the success rate of {weakest}",
                description=(
                    f"{weakest} succeeded in {rate:.0%} of {count} interactions this week; "
                    "find out why the others failed and fix the cause."
                ),
                priority=max(1, min(10, round(10 - 6 * rate))),
                rationale=(
                    f"Lowest success rate of the week: {wins:.0f} of {count} interactions "
                    f"succeeded ({rate:.0%})."
                ),
            )
        )
    busiest, uses = max(kinds.items(), key=lambda kv: (kv[1], kv[0]))
    suggestions.append(
        SuggestedGoal(
            title=f"Scale up {busiest}",
            description=(
                f"'{busiest}' was the most frequent interaction ({uses} times); turn it into a "
                "scheduled workflow so it runs without manual effort."
            ),
            priority=6,
            rationale=f"Most used interaction type this week: {uses} of {total}.",
        )
    )
    return GoalAnalysis(suggested_goals=suggestions, insights=insights)
