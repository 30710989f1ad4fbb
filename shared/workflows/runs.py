"""Runs as stored rows: claimed once per idempotency key, updated step by step.

A run is inserted and committed before its first step executes. With an idempotency
key, the insert is ``ON CONFLICT DO NOTHING`` against the unique index on
``(user_id, idempotency_key)``: of two callers with the same key, sequential or
concurrent, exactly one inserts and runs the steps; the other reads the row the first
one committed and returns it."""

from __future__ import annotations

import json
from typing import Any

from shared.db import Row, get_database
from shared.errors import Conflict, NotFound
from shared.workflows.store import parse_id

COLUMNS = (
    "id, workflow_id, user_id, trigger_type, trigger_data, input, status, step_results, "
    "error, idempotency_key, started_at, finished_at"
)
TRIGGER_TYPES = ("manual", "scheduled", "event", "webhook")
RECENT = 20


def claim(
    workflow_id: str,
    user_id: str,
    trigger_type: str,
    trigger_data: dict[str, Any],
    run_input: dict[str, Any],
    idempotency_key: str | None,
    *,
    skipped_because: str | None = None,
) -> tuple[Row, bool]:
    """Insert the run; return it and whether this call created it. A run that is
    skipped from the start is inserted finished, with the reason as its error."""
    status = "skipped" if skipped_because else "running"
    finished = "now()" if skipped_because else "NULL"
    params = (
        workflow_id,
        user_id,
        trigger_type,
        json.dumps(trigger_data, default=str),
        json.dumps(run_input, default=str),
        status,
        skipped_because,
        idempotency_key,
    )
    insert = (
        "INSERT INTO workflow_runs (workflow_id, user_id, trigger_type, trigger_data, input, "
        f"status, error, idempotency_key, finished_at) "
        f"VALUES (%s, %s, %s, %s::jsonb, %s::jsonb, %s, %s, %s, {finished})"
    )
    with get_database().transaction() as tx:
        if idempotency_key is None:
            row = tx.one(f"{insert} RETURNING {COLUMNS}", params)
            assert row is not None
            return row, True
        row = tx.one(
            f"{insert} ON CONFLICT (user_id, idempotency_key) "
            f"WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING {COLUMNS}",
            params,
        )
        if row is not None:
            return row, True
        first = tx.one(
            f"SELECT {COLUMNS} FROM workflow_runs WHERE user_id = %s AND idempotency_key = %s",
            (user_id, idempotency_key),
        )
    if first is None:  # the first run's workflow was deleted in between
        raise NotFound("workflow not found")
    if str(first["workflow_id"]) != str(workflow_id):
        raise Conflict("this idempotency key was already used for another workflow")
    return first, False


def save_steps(run_id: str, step_results: list[dict[str, Any]]) -> None:
    """Record progress, so a run that is still going shows what it has done."""
    with get_database().transaction() as tx:
        tx.execute(
            "UPDATE workflow_runs SET step_results = %s::jsonb WHERE id = %s",
            (json.dumps(step_results, default=str), run_id),
        )


def finish(run_id: str, status: str, step_results: list[dict[str, Any]], error: str | None) -> Row:
    with get_database().transaction() as tx:
        row = tx.one(
            "UPDATE workflow_runs SET status = %s, step_results = %s::jsonb, error = %s, "
            f"finished_at = now() WHERE id = %s RETURNING {COLUMNS}",
            (status, json.dumps(step_results, default=str), error, run_id),
        )
    assert row is not None
    return row


def get(user_id: str, run_id: str) -> Row:
    run_id = parse_id(run_id, "run")
    with get_database().transaction() as tx:
        row = tx.one(
            f"SELECT {COLUMNS} FROM workflow_runs WHERE id = %s AND user_id = %s",
            (run_id, user_id),
        )
    if row is None:
        raise NotFound("run not found")
    return row


def recent(user_id: str, workflow_id: str, limit: int = RECENT) -> list[Row]:
    with get_database().transaction() as tx:
        return tx.all(
            f"SELECT {COLUMNS} FROM workflow_runs WHERE workflow_id = %s AND user_id = %s "
            "ORDER BY started_at DESC, id LIMIT %s",
            (workflow_id, user_id, limit),
        )


def abandon_stale() -> int:
    """Close runs still ``running`` after ``WORKFLOW_RUN_STALE_SECONDS``: their process
    stopped before they finished (no function runs that long). They are marked failed,
    not run again: a redelivery of what started them has already returned this run."""
    from shared.config import get_settings

    with get_database().transaction() as tx:
        return tx.execute(
            "UPDATE workflow_runs SET status = 'failed', finished_at = now(), "
            "error = 'run abandoned: its process stopped before it finished' "
            "WHERE status = 'running' AND started_at < now() - make_interval(secs => %s)",
            (get_settings().workflow_run_stale_seconds,),
        )
