"""Per-user caps on what a user may create (docs/contract/guarantees.md: no unbounded growth).

The count and the insert that follows run in one transaction holding a per-user
advisory lock, so two concurrent creations cannot both pass the last free slot."""

from __future__ import annotations

from typing import Literal

from shared.db import Tx
from shared.errors import Conflict

# The tables a cap applies to: identifiers come from here, never from input.
Capped = Literal["workflows", "scheduled_tasks", "event_triggers", "workflow_webhooks"]


# Rows that no longer count against the cap.
_LIVE = {"workflow_webhooks": " AND revoked_at IS NULL"}


def check_quota(tx: Tx, table: Capped, user_id: str, limit: int, what: str) -> None:
    tx.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"quota:{table}:{user_id}",))
    live = _LIVE.get(table, "")
    count = tx.scalar(f"SELECT count(*) FROM {table} WHERE user_id = %s{live}", (user_id,))
    if int(count) >= limit:
        raise Conflict(f"at most {limit} {what} per user; delete some first")
