"""Which slots of the active tasks fall in a time range: what Cloud Scheduler's jobs
would fire in it. The local clock uses it to send the same deliveries."""

from __future__ import annotations

from datetime import datetime

from shared.db import get_database
from shared.scheduler.cron import Schedule

PER_TASK_LIMIT = 10


def slots_between(since: datetime, until: datetime) -> list[tuple[str, datetime]]:
    """(task id, slot) for every slot in (since, until], oldest first."""
    with get_database().transaction() as tx:
        tasks = tx.all(
            "SELECT id, cron_expression, timezone FROM scheduled_tasks WHERE is_active "
            "ORDER BY created_at, id"
        )
    found: list[tuple[str, datetime]] = []
    for task in tasks:
        slots, _ = Schedule(task["cron_expression"], task["timezone"]).between(
            since, until, PER_TASK_LIMIT
        )
        found.extend((str(task["id"]), slot.at) for slot in slots)
    return sorted(found, key=lambda item: item[1])
