"""Recording an event in the same transaction as the change that caused it.

``record`` writes the event to ``usage_events`` (the event log, which is also the
outbox of events not yet published). Publishing happens after commit, so a crash
between commit and publish loses nothing: unpublished rows are relayed later."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

from shared.db import Tx
from shared.errors import Invalid

EVENT_TYPE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")

SYSTEM_EVENTS = (
    "content.generated",
    "content.published",
    "video.completed",
    "goal.created",
    "goal.completed",
    "feedback.received",
    "memory.stored",
    "agent.error",
    "soul.updated",
)

# Called after commit with the ids recorded in that transaction; the publisher
# installs itself here when the event bus is wired (see shared.events.publish).
after_commit_hooks: list[Callable[[list[str]], None]] = []


def check_type(event_type: str) -> str:
    if not isinstance(event_type, str) or len(event_type) > 100 or not EVENT_TYPE.match(event_type):
        raise Invalid("eventType must look like 'name.action' ([a-z0-9_] parts joined by dots)")
    return event_type


def record(
    tx: Tx,
    user_id: str,
    event_type: str,
    payload: dict[str, Any] | None = None,
    *,
    depth: int = 0,
    event_id: str | None = None,
) -> str:
    """Write one event to the outbox inside ``tx`` and return its id. A caller that may
    run again for the same effect (a resumed workflow step) passes a stable
    ``event_id``: recording it a second time records nothing and returns the same id."""
    event_id = event_id or str(uuid.uuid4())
    inserted = tx.execute(
        "INSERT INTO usage_events (id, user_id, event_type, event_data, depth) "
        "VALUES (%s, %s, %s, %s::jsonb, %s) ON CONFLICT (id) DO NOTHING",
        (event_id, user_id, check_type(event_type), json.dumps(payload or {}, default=str), depth),
    )
    if not inserted:
        return event_id
    if "events" not in tx.state:
        recorded: list[str] = []
        tx.state["events"] = recorded
        tx.after_commit.append(lambda: _committed(recorded))
    tx.state["events"].append(event_id)
    return event_id


def _committed(event_ids: list[str]) -> None:
    for hook in after_commit_hooks:
        hook(list(event_ids))
