"""Helpers the event tests share: workflows and triggers made through the API, and
reading runs and events back from the database."""

from __future__ import annotations

from typing import Any

from shared.db import Database
from tests.conftest import UserClient

NOOP_STEP = {"id": "gate", "type": "condition", "config": {"subject": {}, "conditions": {}}}


def make_workflow(user: UserClient, steps: list[dict[str, Any]] | None = None) -> str:
    res = user.post("/api/workflow", json={"name": "on event", "steps": steps or [NOOP_STEP]})
    assert res.status_code == 201, res.get_json()
    return str(res.get_json()["workflow"]["id"])


def make_trigger(
    user: UserClient,
    event_type: str,
    workflow_id: str,
    conditions: Any = None,
    *,
    allow_recursion: bool | None = None,
) -> str:
    body: dict[str, Any] = {"eventType": event_type, "workflowId": workflow_id}
    if conditions is not None:
        body["conditions"] = conditions
    if allow_recursion is not None:
        body["allowRecursion"] = allow_recursion
    res = user.post("/api/events/triggers", json=body)
    assert res.status_code == 201, res.get_json()
    return str(res.get_json()["trigger"]["id"])


def runs_of(db: Database, workflow_id: str) -> list[dict[str, Any]]:
    with db.transaction() as tx:
        return tx.all(
            "SELECT * FROM workflow_runs WHERE workflow_id = %s ORDER BY started_at", (workflow_id,)
        )


def event_row(db: Database, event_id: str) -> dict[str, Any]:
    with db.transaction() as tx:
        row = tx.one("SELECT * FROM usage_events WHERE id = %s", (event_id,))
    assert row is not None
    return row


def triggered_count(db: Database, trigger_id: str) -> int:
    with db.transaction() as tx:
        return int(
            tx.scalar("SELECT triggered_count FROM event_triggers WHERE id = %s", (trigger_id,))
        )


def rejected(db: Database) -> list[dict[str, Any]]:
    with db.transaction() as tx:
        return tx.all("SELECT * FROM rejected_deliveries ORDER BY created_at")
