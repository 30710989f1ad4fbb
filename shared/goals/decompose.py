"""Breaking a goal into 2-7 sub-goals, stored as its children.

Decomposition happens once per goal: a second call returns the children the first
one made. The model is asked outside any transaction; the children are then written
under a lock on the parent row, after checking again that none exist, so two
concurrent calls store one set."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from shared.db import Row, Tx, get_database
from shared.errors import Conflict, RateLimited, Retryable
from shared.goals.lifecycle import OPEN
from shared.goals.service import GOAL_COLUMNS, NewGoal, embed_titles, find_goal, insert_goals
from shared.model import get_model
from shared.model.offline import heuristic
from shared.model.port import ModelFailure

SYSTEM = (
    "You plan work for a content creator. Break the goal into 2 to 7 concrete sub-goals "
    "that together achieve it, in the order they should be done. Each has a short "
    "imperative title, one or two sentences of description, and a priority from 1 (low) "
    "to 10 (high)."
)


class SubGoal(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    priority: int = Field(5, ge=1, le=10)


class GoalDecomposition(BaseModel):
    sub_goals: list[SubGoal] = Field(min_length=2, max_length=7)


_THEN = re.compile(r"\s*(?:[,;]\s*)?\bthen\b\s*", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s*")


def listed_steps(description: str) -> list[str]:
    """Steps a description spells out: one per line of a list, or clauses joined by
    'then'. Prose lists none."""
    lines = [_BULLET.sub("", line).strip() for line in description.splitlines()]
    lines = [line for line in lines if line]
    if len(lines) >= 2:
        return lines
    clauses = [c.strip(" .,;") for c in _THEN.split(description)]
    return [c for c in clauses if c] if len(clauses) >= 2 else []


@heuristic(GoalDecomposition)
def _offline_decomposition(prompt: str, data: Mapping[str, Any]) -> GoalDecomposition:
    """Offline heuristic, not a plan: when the description lists two to seven steps
    (lines of a list, or clauses joined by 'then'), each becomes a sub-goal in order;
    otherwise the goal gets the fixed define / plan / do / review template."""
    title = str(data.get("title", "the goal"))
    priority = int(data.get("priority", 5))
    steps = listed_steps(str(data.get("description") or ""))
    if 2 <= len(steps) <= 7:
        return GoalDecomposition(
            sub_goals=[
                SubGoal(title=s[:200], description=f"Step {i} of '{title}'.", priority=priority)
                for i, s in enumerate(steps, 1)
            ]
        )
    template = [
        ("Define success for", "Write down what done looks like and how it will be measured."),
        ("Plan the first steps of", "List the first three actions and when each happens."),
        ("Work on", "Carry out the planned actions and note what worked."),
        ("Review progress on", "Compare the result with the definition of success."),
    ]
    return GoalDecomposition(
        sub_goals=[
            SubGoal(title=f"{verb} '{title}'"[:200], description=why, priority=priority)
            for verb, why in template
        ]
    )


def _children(tx: Tx, user_id: str, parent_id: str) -> list[Row]:
    return tx.all(
        f"SELECT {GOAL_COLUMNS} FROM goals WHERE user_id = %s AND parent_id = %s "
        "ORDER BY created_at, id",
        (user_id, parent_id),
    )


def decompose(user_id: str, raw_id: str) -> list[Row]:
    """The goal's sub-goals, created by the model on the first call."""
    with get_database().transaction() as tx:
        goal = find_goal(tx, user_id, raw_id)
        parent_id = str(goal["id"])
        existing = _children(tx, user_id, parent_id)
    if existing:
        return existing
    if goal["status"] not in OPEN:
        raise Conflict(f"a {goal['status']} goal is not decomposed")
    plan = _ask_model(goal)
    subgoals = [
        NewGoal(
            title=s.title,
            description=s.description or None,
            priority=s.priority,
            parent_id=parent_id,
        )
        for s in plan.sub_goals
    ]
    embedded = embed_titles([g.title for g in subgoals])
    with get_database().transaction() as tx:
        find_goal(tx, user_id, parent_id, lock=True)
        raced = _children(tx, user_id, parent_id)
        if raced:
            return raced
        return insert_goals(tx, user_id, subgoals, embedded)


def _ask_model(goal: Row) -> GoalDecomposition:
    data = {
        "title": goal["title"],
        "description": goal["description"] or "",
        "priority": goal["priority"],
    }
    prompt = (
        f"GOAL: {data['title']}\nDESCRIPTION: {data['description'] or '(none)'}\n"
        f"PRIORITY: {data['priority']}\n\nReturn the sub-goals."
    )
    try:
        answer = get_model().generate_structured(
            prompt, GoalDecomposition, system=SYSTEM, data=data
        )
        plan: GoalDecomposition = answer.value
        return plan
    except ModelFailure as exc:
        if exc.kind == "rate_limited":
            raise RateLimited(
                "goal decomposition is rate limited; try again shortly",
                retry_after=exc.retry_after,
            ) from exc
        raise Retryable(f"goal decomposition is unavailable right now: {exc.message}") from exc
