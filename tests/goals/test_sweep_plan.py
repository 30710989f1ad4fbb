"""The sweep's question (who was active in the window) reads the window, not the
tables' whole history: both halves of it can be answered from an index led by
created_at (migration 0092). Sequential scans are priced out so the plan shows the
index the planner would take on a table too large to scan."""

from __future__ import annotations

from shared.db import Database
from shared.goals.sweep import _FAN_OUT, ACTIVE_DAYS, GENERATION_REQUESTED


def test_the_active_users_are_found_through_created_at_indexes(db: Database) -> None:
    with db.transaction() as tx:
        tx.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(
            str(next(iter(r.values())))
            for r in tx.all(
                "EXPLAIN " + _FAN_OUT,
                ("x", "{}", ACTIVE_DAYS, ACTIVE_DAYS, GENERATION_REQUESTED),
            )
        )
    assert "episodic_memories_created_user" in plan
    assert "usage_events_created" in plan
    assert "Seq Scan" not in plan
