"""The daily memory-consolidation sweep (body ``{"consolidate": true}``): one
``memory.consolidation_requested`` event per user active in the last 7 days, all
recorded in one transaction through the outbox. The sweep is claimed per UTC day in
``scheduler_sweeps``, so a second call on the same day (a retry, a second job)
records nothing. Activity is a memory written or an event logged; the sweep's own
events do not count, or every user would stay "active" forever."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared import clock
from shared.clock import as_utc
from shared.db import get_database
from shared.events.outbox import record

EVENT = "memory.consolidation_requested"
ACTIVE_DAYS = 7


def request_consolidation(now: datetime | None = None) -> dict[str, Any]:
    now = as_utc(now or clock.now())
    day = now.date()
    since = now - timedelta(days=ACTIVE_DAYS)
    with get_database().transaction() as tx:
        claimed = tx.scalar(
            "INSERT INTO scheduler_sweeps (kind, day) VALUES ('consolidation', %s) "
            "ON CONFLICT (kind, day) DO NOTHING RETURNING day",
            (day,),
        )
        if claimed is None:
            return {"status": "already_done", "day": day.isoformat(), "users": 0}
        users = [
            row["user_id"]
            for row in tx.all(
                "SELECT user_id FROM episodic_memories WHERE created_at >= %s "
                "UNION SELECT user_id FROM usage_events WHERE created_at >= %s "
                "AND event_type <> %s ORDER BY 1",
                (since, since, EVENT),
            )
        ]
        for user_id in users:
            record(tx, user_id, EVENT, {"day": day.isoformat(), "activeDays": ACTIVE_DAYS})
        tx.execute(
            "UPDATE scheduler_sweeps SET users = %s WHERE kind = 'consolidation' AND day = %s",
            (len(users), day),
        )
    return {"status": "requested", "day": day.isoformat(), "users": len(users)}
