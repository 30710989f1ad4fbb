"""Rows the self-improvement tests construct directly: episodic memories as the memory
store and the Evolver write them."""

from __future__ import annotations

import json
from typing import Any

from shared.db import Database


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
