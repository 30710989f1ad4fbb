"""Shared by the tick tests: a task due at a fixed time, and its history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.db import Database
from tests.scheduler.conftest import rows


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def due_task(alice: Any, wf: str, cron: str, next_run: datetime, db: Database, **extra: Any) -> str:
    body = {"name": "t", "workflowId": wf, "cronExpression": cron, **extra}
    res = alice.post("/api/scheduler/tasks", json=body)
    assert res.status_code == 201
    tid = str(res.get_json()["task"]["id"])
    with db.transaction() as tx:
        tx.execute("UPDATE scheduled_tasks SET next_run_at = %s WHERE id = %s", (next_run, tid))
    return tid


def history(db: Database, task_id: str) -> list[dict[str, Any]]:
    return rows(
        db,
        "SELECT fire_key, status, source, detail, workflow_run_id FROM scheduled_task_runs "
        "WHERE task_id = %s ORDER BY slot_at, fire_key",
        (task_id,),
    )


def run_count(db: Database, task_id: str) -> int:
    with db.transaction() as tx:
        return int(
            tx.scalar(
                "SELECT count(*) FROM workflow_runs WHERE trigger_data->>'taskId' = %s", (task_id,)
            )
        )


def pause_all(db: Database) -> None:
    """Tasks of one test must not be due in the next one's fixed clock."""
    with db.transaction() as tx:
        tx.execute("UPDATE scheduled_tasks SET is_active = false")
