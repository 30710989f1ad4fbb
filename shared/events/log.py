"""The event log as a user reads it, and publishing an event of the user's own.

Each event carries what its dispatch triggered (``triggered``) and the workflow runs it
started, read from ``workflow_runs`` so their status is current."""

from __future__ import annotations

from typing import Any, Literal

from shared.db import Row, get_database
from shared.events import outbox

MAX_LIMIT = 200
# usage_events.dispatch_status, as its CHECK constraint has it
DispatchStatus = Literal[
    "pending", "dispatching", "dispatched", "rejected", "too_deep", "throttled"
]

COLUMNS = (
    "id, event_type, event_data, depth, chain, occurred_at, published_at, publish_attempts, "
    "publish_error, dispatch_status, dispatched_at, triggered, detail, created_at"
)
RUN_COLUMNS = "id, workflow_id, trigger_type, status, error, started_at, finished_at"


def emit(user_id: str, event_type: str, payload: dict[str, Any] | None = None) -> str:
    """Record an event in its own transaction; it is published after commit."""
    with get_database().transaction() as tx:
        return outbox.record(tx, user_id, event_type, payload)


def events_of(user_id: str, event_type: str | None, limit: int) -> list[Row]:
    with get_database().transaction() as tx:
        if event_type is None:
            events = tx.all(
                f"SELECT {COLUMNS} FROM usage_events WHERE user_id = %s "
                "ORDER BY created_at DESC, id DESC LIMIT %s",
                (user_id, limit),
            )
        else:
            events = tx.all(
                f"SELECT {COLUMNS} FROM usage_events WHERE user_id = %s AND event_type = %s "
                "ORDER BY created_at DESC, id DESC LIMIT %s",
                (user_id, event_type, limit),
            )
        run_ids = sorted(
            {
                entry["runId"]
                for event in events
                for entry in event["triggered"] or []
                if isinstance(entry, dict) and entry.get("runId")
            }
        )
        runs = (
            tx.all(
                f"SELECT {RUN_COLUMNS} FROM workflow_runs "
                "WHERE user_id = %s AND id = ANY(%s::uuid[])",
                (user_id, run_ids),
            )
            if run_ids
            else []
        )
    by_id = {str(run["id"]): run for run in runs}
    for event in events:
        event["runs"] = [
            by_id[entry["runId"]]
            for entry in event["triggered"] or []
            if isinstance(entry, dict) and entry.get("runId") in by_id
        ]
    return events
