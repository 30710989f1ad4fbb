"""Delivering events recorded in the outbox to the event-dispatch function, as Pub/Sub
and Eventarc would: each row's envelope in a ``messagePublished`` CloudEvent, built
with the event tests' helpers."""

from __future__ import annotations

import uuid
from typing import Any

from shared.db import Database, Row
from shared.events.envelope import from_row
from tests.events.conftest import deliver, message_for


def recorded(db: Database, event_type: str, user_id: str | None = None) -> list[Row]:
    """The events of a type (of one user when given) in the order they were recorded."""
    where = " AND user_id = %s" if user_id is not None else ""
    with db.transaction() as tx:
        return tx.all(
            f"SELECT * FROM usage_events WHERE event_type = %s{where} ORDER BY created_at, id",
            (event_type, *([user_id] if user_id is not None else [])),
        )


def deliver_row(client: Any, row: Row) -> Any:
    """POST one recorded event to event-dispatch as a fresh Pub/Sub delivery."""
    message = message_for(from_row(row).wire(), message_id=str(uuid.uuid4().int)[:16])
    res = deliver(client, message)
    assert 200 <= res.status_code < 300, res.data
    return res
