"""Scheduled tasks: the API's service. Every change is committed to the database
first and mirrored into Cloud Scheduler afterwards; a mirror failure never undoes
the change (the task is marked ``out_of_sync`` and the next reconcile repairs it).

Every query is scoped by the owner: another user's task is not found, and so is a
malformed id. ``now`` is a parameter so that tests can fix the clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared import clock
from shared.config import get_settings
from shared.db import Row, Tx, get_database
from shared.db.quota import check_quota
from shared.errors import NotFound
from shared.ids import object_id
from shared.scheduler.cron import Schedule, check_cron, check_timezone
from shared.scheduler.schemas import TaskBody, TaskChanges
from shared.scheduler.sync import sync_task

COLUMNS = (
    "id, user_id, workflow_id, name, cron_expression, timezone, is_active, overlap_policy, "
    "catchup_window_seconds, run_count, last_run_at, last_slot_at, next_run_at, mirror_state, "
    "created_at, updated_at"
)
RUN_COLUMNS = (
    "id, task_id, fire_key, slot_at, status, source, workflow_run_id, detail, created_at, "
    "finished_at"
)


def parse_id(value: object, what: str = "task") -> str:
    return object_id(value, what)


def _now(now: datetime | None) -> datetime:
    return now if now is not None else clock.now()


def _check_workflow(tx: Tx, user_id: str, workflow_id: str) -> str:
    wid = object_id(workflow_id, "workflowId: workflow")
    if tx.scalar("SELECT 1 FROM workflows WHERE id = %s AND user_id = %s", (wid, user_id)) is None:
        raise NotFound("workflowId: workflow not found")
    return wid


def _mirrored(user_id: str, task_id: str) -> dict[str, Any]:
    """Mirror the committed change, then answer with the row as it now stands."""
    mirror = sync_task(task_id)
    return {"success": True, "task": get(user_id, task_id), "mirror": mirror}


def create(user_id: str, body: TaskBody, now: datetime | None = None) -> dict[str, Any]:
    cron = check_cron(body.cron_expression)
    zone = check_timezone(body.timezone)
    next_run = Schedule(cron, zone).next_after(_now(now))
    with get_database().transaction() as tx:
        workflow_id = _check_workflow(tx, user_id, body.workflow_id)
        limit = get_settings().max_tasks_per_user
        check_quota(tx, "scheduled_tasks", user_id, limit, "scheduled tasks")
        task_id = tx.scalar(
            "INSERT INTO scheduled_tasks (user_id, workflow_id, name, cron_expression, timezone, "
            "overlap_policy, catchup_window_seconds, next_run_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (
                user_id,
                workflow_id,
                body.name,
                cron,
                zone,
                body.overlap_policy,
                body.catchup_window_seconds,
                next_run,
            ),
        )
    return _mirrored(user_id, str(task_id))


def list_for(user_id: str) -> list[Row]:
    with get_database().transaction() as tx:
        return tx.all(
            f"SELECT {COLUMNS} FROM scheduled_tasks WHERE user_id = %s "
            "ORDER BY created_at DESC, id",
            (user_id,),
        )


def get(user_id: str, task_id: str) -> Row:
    task_id = parse_id(task_id)
    with get_database().transaction() as tx:
        row = tx.one(
            f"SELECT {COLUMNS} FROM scheduled_tasks WHERE id = %s AND user_id = %s",
            (task_id, user_id),
        )
    if row is None:
        raise NotFound("task not found")
    return row


def _locked(tx: Tx, user_id: str, task_id: str) -> Row:
    row = tx.one(
        f"SELECT {COLUMNS} FROM scheduled_tasks WHERE id = %s AND user_id = %s FOR UPDATE",
        (task_id, user_id),
    )
    if row is None:
        raise NotFound("task not found")
    return row


def update(
    user_id: str, task_id: str, changes: TaskChanges, now: datetime | None = None
) -> dict[str, Any]:
    task_id = parse_id(task_id)
    given = changes.model_fields_set
    cron = check_cron(changes.cron_expression) if "cron_expression" in given else None
    zone = check_timezone(changes.timezone) if "timezone" in given else None
    with get_database().transaction() as tx:
        row = _locked(tx, user_id, task_id)
        values: dict[str, Any] = {}
        if changes.name is not None:
            values["name"] = changes.name
        if changes.workflow_id is not None:
            values["workflow_id"] = _check_workflow(tx, user_id, changes.workflow_id)
        if changes.overlap_policy is not None:
            values["overlap_policy"] = changes.overlap_policy
        if changes.catchup_window_seconds is not None:
            values["catchup_window_seconds"] = changes.catchup_window_seconds
        if cron is not None:
            values["cron_expression"] = cron
        if zone is not None:
            values["timezone"] = zone
        if (cron or zone) and row["is_active"]:
            schedule = Schedule(cron or row["cron_expression"], zone or row["timezone"])
            values["next_run_at"] = schedule.next_after(_now(now))
        if not values:
            return {"success": True, "task": row, "mirror": "unchanged"}
        assignments = ", ".join(f"{column} = %s" for column in values)  # names from code
        tx.execute(
            f"UPDATE scheduled_tasks SET {assignments}, mirror_state = 'pending', "
            "updated_at = now() WHERE id = %s AND user_id = %s",
            (*values.values(), task_id, user_id),
        )
    return _mirrored(user_id, task_id)


def set_active(
    user_id: str, task_id: str, active: bool, now: datetime | None = None
) -> dict[str, Any]:
    """Pause or resume. A resumed task's next run is the next slot from now: slots
    that passed while it was paused are neither run nor caught up."""
    task_id = parse_id(task_id)
    with get_database().transaction() as tx:
        row = _locked(tx, user_id, task_id)
        next_run = (
            Schedule(row["cron_expression"], row["timezone"]).next_after(_now(now))
            if active
            else None
        )
        tx.execute(
            "UPDATE scheduled_tasks SET is_active = %s, next_run_at = %s, "
            "mirror_state = 'pending', updated_at = now() WHERE id = %s AND user_id = %s",
            (active, next_run, task_id, user_id),
        )
    return _mirrored(user_id, task_id)


def delete(user_id: str, task_id: str) -> dict[str, Any]:
    task_id = parse_id(task_id)
    with get_database().transaction() as tx:
        gone = tx.scalar(
            "DELETE FROM scheduled_tasks WHERE id = %s AND user_id = %s RETURNING id",
            (task_id, user_id),
        )
    if gone is None:
        raise NotFound("task not found")
    return {"success": True, "mirror": sync_task(task_id)}


def runs(user_id: str, task_id: str, limit: int = 50) -> list[Row]:
    task = get(user_id, task_id)
    with get_database().transaction() as tx:
        return tx.all(
            f"SELECT {RUN_COLUMNS} FROM scheduled_task_runs WHERE task_id = %s AND user_id = %s "
            "ORDER BY created_at DESC, id LIMIT %s",
            (task["id"], user_id, limit),
        )
