"""Deliveries as Eventarc and Cloud Scheduler make them, and database snapshots the
hardening suites compare before and after an attempt that must change nothing."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent

from shared.db import Database
from shared.events.envelope import from_row

# tables that change on any request, whoever makes it
VOLATILE = {"rate_limits", "schema_migrations"}


def event_delivery(envelope_data: bytes, attributes: dict[str, str], message_id: str) -> Any:
    """The binary-mode CloudEvent Eventarc posts for one Pub/Sub message."""
    message = {
        "data": base64.b64encode(envelope_data).decode(),
        "attributes": attributes,
        "messageId": message_id,
        "message_id": message_id,
        "publishTime": "2026-11-27T09:00:00.123Z",
    }
    event = CloudEvent(
        {
            "id": message_id,
            "type": "google.cloud.pubsub.topic.v1.messagePublished",
            "source": "//pubsub.googleapis.com/projects/segp-test/topics/segp-events",
            "specversion": "1.0",
            "datacontenttype": "application/json",
        },
        {"message": message, "subscription": "projects/segp-test/subscriptions/dispatch"},
    )
    return to_binary(event)


def deliver_event(client: Any, db: Database, event_id: str, message_id: str = "m-1") -> Any:
    """Deliver the recorded event ``event_id`` to ``event-dispatch`` as Pub/Sub would."""
    with db.transaction() as tx:
        row = tx.one(
            "SELECT id, user_id, event_type, event_data, depth, occurred_at "
            "FROM usage_events WHERE id = %s",
            (event_id,),
        )
    assert row is not None
    envelope = from_row(row)
    headers, body = event_delivery(envelope.data(), envelope.attributes(), message_id)
    return client.post("/", headers=headers, data=body)


def fire_task(client: Any, task_id: str, schedule_time: str) -> Any:
    """POST what Cloud Scheduler sends for one run of a task's job."""
    headers = {
        "X-CloudScheduler": "true",
        "X-CloudScheduler-JobName": f"segp-task-{task_id}",
        "X-CloudScheduler-ScheduleTime": schedule_time,
    }
    return client.post("/", json={"taskId": task_id}, headers=headers)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def snapshot(db: Database, *, except_user: str | None = None) -> dict[str, list[str]]:
    """Every row of every table, as sorted JSON lines; rows of ``except_user`` left out
    (what a probing user may legitimately write for themself)."""
    with db.transaction() as tx:
        tables = tx.all(
            "SELECT t.table_name, bool_or(c.column_name = 'user_id') AS owned "
            "FROM information_schema.tables t JOIN information_schema.columns c "
            "ON c.table_schema = t.table_schema AND c.table_name = t.table_name "
            "WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE' "
            "GROUP BY t.table_name ORDER BY t.table_name"
        )
        result: dict[str, list[str]] = {}
        for table in tables:
            name = table["table_name"]
            if name in VOLATILE:
                continue
            if table["owned"] and except_user is not None:
                rows = tx.all(
                    f'SELECT * FROM "{name}" WHERE user_id IS DISTINCT FROM %s', (except_user,)
                )
            else:
                rows = tx.all(f'SELECT * FROM "{name}"')
            result[name] = sorted(json.dumps(r, default=_jsonable, sort_keys=True) for r in rows)
    return result
