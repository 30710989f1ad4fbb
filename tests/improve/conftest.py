"""Rows the self-improvement tests construct directly (episodic memories as the memory
store and the Evolver write them), and experiments started through the API."""

from __future__ import annotations

import json
from typing import Any

from shared.db import Database
from shared.improve.experiments import assign
from tests.conftest import UserClient


def add_memory(
    db: Database,
    user: str,
    agent: str,
    *,
    interaction_type: str = "generation",
    outcome: str | None = None,
    context: dict[str, Any] | None = None,
) -> None:
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO episodic_memories (user_id, agent_id, interaction_type, outcome, "
            "context) VALUES (%s, %s, %s, %s, %s::jsonb)",
            (user, agent, interaction_type, outcome, json.dumps(context or {})),
        )


def count(db: Database, sql: str, params: tuple[Any, ...] = ()) -> int:
    with db.transaction() as tx:
        return int(tx.scalar(sql, params))


VARIANTS = [
    {"name": "control"},
    {"name": "deeper", "evolver": {"maxIterations": 5, "threshold": 0.9}},
    {"name": "terse", "instruction": "Answer in at most three sentences."},
]


def start(user: UserClient, agent: str, **extra: Any) -> dict[str, Any]:
    body = {"agentId": agent, "name": f"test of {agent}", "variants": VARIANTS[:2], **extra}
    res = user.post("/api/improve/experiment", json=body)
    assert res.status_code == 201, res.get_json()
    return dict(res.get_json()["experiment"])


def units(experiment: dict[str, Any], variant: str, n: int) -> list[str]:
    found = (f"run-{i}" for i in range(10_000))
    return [u for u in found if assign(experiment, u)["name"] == variant][:n]
