"""Runs as stored rows: claimed once per idempotency key, checkpointed step by step,
executed under a lease.

A run is inserted and committed before its first step executes. With an idempotency
key, the insert is ``ON CONFLICT DO NOTHING`` against the unique index on
``(user_id, idempotency_key)``: of two callers with the same key, sequential or
concurrent, exactly one inserts and runs the steps; the other reads the row the first
one committed and returns it.

Whoever executes a run holds its lease (``lease_owner`` until ``lease_until``). Every
write of an executor is conditional on still holding it, so two executors never run
the same step of one run at the same time: one whose lease was taken over stops at its
next write. A run whose lease expired (its process died) is taken over by the next
caller that asks (``take_over``: a redelivery of what started it, or the per-minute
job) and resumed at its first step without a committed result.

A run whose step waits (a retry's backoff, a sleep step) is checkpointed ``sleeping``
with ``wake_at`` and holds no lease; ``wake`` leases it again once ``wake_at`` has
passed (by the caller's clock, passed in, so the clock the wake time was computed with
is the one it is compared with)."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from typing import Any, Literal, get_args

from shared import keyset
from shared.db import Row, Tx, get_database
from shared.errors import Conflict, NotFound
from shared.workflows.store import parse_id

COLUMNS = (
    "id, workflow_id, user_id, trigger_type, trigger_data, input, status, step_results, "
    "error, idempotency_key, started_at, finished_at, wake_at"
)
TRIGGER_TYPES = ("manual", "scheduled", "event", "webhook")
RunStatus = Literal["running", "sleeping", "succeeded", "failed", "skipped", "cancelled"]
STATUSES: tuple[str, ...] = get_args(RunStatus)
# a run in one of these has not ended: its outcome is still to come
UNFINISHED: tuple[str, ...] = ("running", "sleeping")
UNFINISHED_SQL = ", ".join(f"'{status}'" for status in UNFINISHED)
RECENT = 20
# what an executor needs to resume a run, beyond what the API shows
RESUME_COLUMNS = f"{COLUMNS}, definition, depth, executions"
_EXECUTOR_ONLY = ("definition", "depth", "executions")
_LEASE = "now() + make_interval(secs => %s)"


def lease_seconds() -> int:
    from shared.config import get_settings

    return get_settings().workflow_run_lease_seconds


def claim(
    workflow_id: str,
    user_id: str,
    trigger_type: str,
    trigger_data: dict[str, Any],
    run_input: dict[str, Any],
    idempotency_key: str | None,
    *,
    owner: str,
    definition: list[dict[str, Any]],
    depth: int = 0,
    skipped_because: str | None = None,
) -> tuple[Row, bool]:
    """Insert the run, leased to ``owner``; return it and whether this call created it.
    A run that is skipped from the start is inserted finished, with the reason as its
    error."""
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
        json.dumps(definition, default=str),
        depth,
        owner,
        lease_seconds(),
    )
    insert = (
        "INSERT INTO workflow_runs (workflow_id, user_id, trigger_type, trigger_data, input, "
        "status, error, idempotency_key, definition, depth, lease_owner, lease_until, "
        f"finished_at) VALUES (%s, %s, %s, %s::jsonb, %s::jsonb, %s, %s, %s, %s::jsonb, %s, "
        f"%s, {_LEASE}, {finished})"
    )
    with get_database().transaction() as tx:
        if idempotency_key is None:
            row = tx.one(f"{insert} RETURNING {RESUME_COLUMNS}", params)
            assert row is not None
            return row, True
        row = tx.one(
            f"{insert} ON CONFLICT (user_id, idempotency_key) "
            f"WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING {RESUME_COLUMNS}",
            params,
        )
        if row is not None:
            return row, True
        first = tx.one(
            f"SELECT {RESUME_COLUMNS} FROM workflow_runs "
            "WHERE user_id = %s AND idempotency_key = %s",
            (user_id, idempotency_key),
        )
    if first is None:  # the first run's workflow was deleted in between
        raise NotFound("workflow not found")
    if str(first["workflow_id"]) != str(workflow_id):
        raise Conflict("this idempotency key was already used for another workflow")
    return first, False


def record_ended(
    tx: Tx,
    run_id: str,
    workflow_id: str,
    user_id: str,
    trigger_type: str,
    trigger_data: dict[str, Any],
    idempotency_key: str | None,
    *,
    definition: list[dict[str, Any]],
    depth: int,
    status: str,
    step_results: list[dict[str, Any]],
    error: str | None,
) -> Row | None:
    """Insert a run that has already ended: one executed inside ``tx`` (its steps are
    pure), committed with it or not at all. None when its idempotency key is taken."""
    return tx.one(
        "INSERT INTO workflow_runs (id, workflow_id, user_id, trigger_type, trigger_data, "
        "input, status, step_results, error, idempotency_key, definition, depth, finished_at) "
        "VALUES (%s, %s, %s, %s, %s::jsonb, '{}'::jsonb, %s, %s::jsonb, %s, %s, %s::jsonb, %s, "
        "now()) ON CONFLICT (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL "
        f"DO NOTHING RETURNING {COLUMNS}",
        (
            run_id,
            workflow_id,
            user_id,
            trigger_type,
            json.dumps(trigger_data, default=str),
            status,
            json.dumps(step_results, default=str),
            error,
            idempotency_key,
            json.dumps(definition, default=str),
            depth,
        ),
    )


def take_over(run_id: str, owner: str) -> Row | None:
    """Lease a running run whose lease expired to ``owner``; the row, or None when the
    run finished or another executor still holds it."""
    with get_database().transaction() as tx:
        return tx.one(
            f"UPDATE workflow_runs SET lease_owner = %s, lease_until = {_LEASE}, "
            "executions = executions + 1 WHERE id = %s AND status = 'running' "
            "AND (lease_until IS NULL OR lease_until < now()) "
            f"RETURNING {RESUME_COLUMNS}",
            (owner, lease_seconds(), run_id),
        )


def renew(run_id: str, owner: str) -> bool:
    """Extend the lease; False when it is no longer this owner's."""
    with get_database().transaction() as tx:
        return (
            tx.execute(
                f"UPDATE workflow_runs SET lease_until = {_LEASE} "
                "WHERE id = %s AND lease_owner = %s AND status = 'running'",
                (lease_seconds(), run_id, owner),
            )
            == 1
        )


def release(run_id: str, owner: str) -> None:
    """Give the lease up at once (best effort: the database may be what failed)."""
    with contextlib.suppress(Exception), get_database().transaction() as tx:
        tx.execute(
            "UPDATE workflow_runs SET lease_until = now() "
            "WHERE id = %s AND lease_owner = %s AND status = 'running'",
            (run_id, owner),
        )


def public(run: Row) -> Row:
    """The run as the API shows it (without what only an executor needs)."""
    return {k: v for k, v in run.items() if k not in _EXECUTOR_ONLY}


def save_steps(run_id: str, owner: str, step_results: list[dict[str, Any]]) -> bool:
    """Commit the results so far (the checkpoint a resumed run starts from) and extend
    the lease; False when the lease is no longer this owner's: stop executing."""
    with get_database().transaction() as tx:
        return (
            tx.execute(
                f"UPDATE workflow_runs SET step_results = %s::jsonb, lease_until = {_LEASE} "
                "WHERE id = %s AND lease_owner = %s AND status = 'running'",
                (json.dumps(step_results, default=str), lease_seconds(), run_id, owner),
            )
            == 1
        )


def sleep(
    run_id: str, owner: str, step_results: list[dict[str, Any]], wake_at: datetime
) -> Row | None:
    """Checkpoint the run ``sleeping`` until ``wake_at`` and give its lease up; None
    when the lease is no longer this owner's."""
    with get_database().transaction() as tx:
        return tx.one(
            "UPDATE workflow_runs SET status = 'sleeping', step_results = %s::jsonb, "
            "wake_at = %s, lease_owner = NULL, lease_until = NULL "
            f"WHERE id = %s AND lease_owner = %s AND status = 'running' RETURNING {COLUMNS}",
            (json.dumps(step_results, default=str), wake_at, run_id, owner),
        )


def due(now: datetime, limit: int) -> list[str]:
    """Sleeping runs whose wake time has come, the longest overdue first."""
    with get_database().transaction() as tx:
        rows = tx.all(
            "SELECT id FROM workflow_runs WHERE status = 'sleeping' AND wake_at <= %s "
            "ORDER BY wake_at LIMIT %s",
            (now, limit),
        )
    return [str(r["id"]) for r in rows]


def wake(run_id: str, owner: str, now: datetime) -> Row | None:
    """Lease a sleeping run whose wake time has come to ``owner``, running again; the
    row, or None when it is not due, or someone else woke or cancelled it first."""
    with get_database().transaction() as tx:
        return tx.one(
            f"UPDATE workflow_runs SET status = 'running', wake_at = NULL, lease_owner = %s, "
            f"lease_until = {_LEASE}, executions = executions + 1 "
            "WHERE id = %s AND status = 'sleeping' AND wake_at <= %s "
            f"RETURNING {RESUME_COLUMNS}",
            (owner, lease_seconds(), run_id, now),
        )


def finish(
    run_id: str, owner: str, status: str, step_results: list[dict[str, Any]], error: str | None
) -> Row | None:
    """Close the run; None when the lease is no longer this owner's."""
    with get_database().transaction() as tx:
        return tx.one(
            "UPDATE workflow_runs SET status = %s, step_results = %s::jsonb, error = %s, "
            "finished_at = now(), lease_owner = NULL, lease_until = NULL "
            f"WHERE id = %s AND lease_owner = %s AND status = 'running' RETURNING {COLUMNS}",
            (status, json.dumps(step_results, default=str), error, run_id, owner),
        )


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


def cancel(user_id: str, run_id: str) -> Row:
    """Stop a running or sleeping run: it is ``cancelled`` at once. A running run's
    executor, whose lease this ends, stops after the step in flight (recording it); a
    sleeping run has none, so its waiting step and the rest are recorded skipped here.
    409 for a run that has ended."""
    run_id = parse_id(run_id, "run")
    with get_database().transaction() as tx:
        run = tx.one(
            "SELECT status, step_results, definition FROM workflow_runs "
            "WHERE id = %s AND user_id = %s FOR UPDATE",
            (run_id, user_id),
        )
        if run is None:
            raise NotFound("run not found")
        if run["status"] not in ("running", "sleeping"):
            raise Conflict(
                f"run is {run['status']}: only a running or sleeping run can be cancelled"
            )
        results = run["step_results"] or []
        if run["status"] == "sleeping":
            results = stopped(run["definition"] or [], results)
        row = tx.one(
            "UPDATE workflow_runs SET status = 'cancelled', error = 'cancelled', "
            "step_results = %s::jsonb, finished_at = now(), lease_owner = NULL, "
            f"lease_until = NULL, wake_at = NULL WHERE id = %s RETURNING {COLUMNS}",
            (json.dumps(results, default=str), run_id),
        )
    assert row is not None
    return row


def stopped(
    definition: list[dict[str, Any]], results: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The records of a cancelled run: those of the steps that ended, then the step
    that waited (its attempts so far kept) and the steps not reached, ``skipped``."""
    ended = [_stopped(r) if r.get("status") == "waiting" else r for r in results]
    return ended + [
        {"id": str(raw.get("id") or f"#{i + 1}"), "type": raw.get("type"), "status": "skipped"}
        | {"reason": _CANCELLED}
        for i, raw in enumerate(definition)
        if i >= len(ended)
    ]


_CANCELLED = "run cancelled"


def _stopped(waiting: dict[str, Any]) -> dict[str, Any]:
    kept = {k: v for k, v in waiting.items() if k != "nextAttemptAt"}
    return kept | {"status": "skipped", "reason": _CANCELLED}


def record_cancelled(run_id: str, step_results: list[dict[str, Any]]) -> Row | None:
    """The results of a cancelled run's last executor, once it stopped."""
    with get_database().transaction() as tx:
        return tx.one(
            "UPDATE workflow_runs SET step_results = %s::jsonb WHERE id = %s "
            f"AND status = 'cancelled' RETURNING {COLUMNS}",
            (json.dumps(step_results, default=str), run_id),
        )


def reopen(user_id: str, run_id: str, owner: str) -> Row:
    """A failed run made to continue from its failed step, leased to ``owner``: the
    results before that step are kept, the rest dropped. 409 unless it failed."""
    run_id = parse_id(run_id, "run")
    with get_database().transaction() as tx:
        run = tx.one(
            "SELECT status, step_results FROM workflow_runs WHERE id = %s AND user_id = %s "
            "FOR UPDATE",
            (run_id, user_id),
        )
        if run is None:
            raise NotFound("run not found")
        if run["status"] != "failed":
            raise Conflict(f"run is {run['status']}: only a failed run can be retried")
        kept = []
        for result in run["step_results"] or []:
            if result.get("status") != "succeeded":
                break
            kept.append(result)
        row = tx.one(
            "UPDATE workflow_runs SET status = 'running', error = NULL, finished_at = NULL, "
            f"step_results = %s::jsonb, lease_owner = %s, lease_until = {_LEASE}, "
            f"executions = executions + 1 WHERE id = %s RETURNING {RESUME_COLUMNS}",
            (json.dumps(kept, default=str), owner, lease_seconds(), run_id),
        )
    assert row is not None
    return row


def page(
    user_id: str,
    workflow_id: str,
    *,
    limit: int,
    cursor: str | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    """A workflow's runs, newest first, ``next_cursor`` continuing after the last."""
    with get_database().transaction() as tx:
        rows, next_cursor = keyset.page(
            tx,
            f"SELECT {COLUMNS} FROM workflow_runs",
            {"workflow_id": workflow_id, "user_id": user_id, "status": status or None},
            at="started_at",
            limit=limit,
            cursor=cursor,
        )
    return {"runs": rows, "next_cursor": next_cursor}


def recent(user_id: str, workflow_id: str, limit: int = RECENT) -> list[Row]:
    with get_database().transaction() as tx:
        return tx.all(
            f"SELECT {COLUMNS} FROM workflow_runs WHERE workflow_id = %s AND user_id = %s "
            "ORDER BY started_at DESC, id LIMIT %s",
            (workflow_id, user_id, limit),
        )


def expired(limit: int) -> list[str]:
    """Runs whose executor stopped holding their lease (its process died), oldest
    lease first."""
    with get_database().transaction() as tx:
        rows = tx.all(
            "SELECT id FROM workflow_runs WHERE status = 'running' "
            "AND (lease_until IS NULL OR lease_until < now()) "
            "ORDER BY lease_until NULLS FIRST LIMIT %s",
            (limit,),
        )
    return [str(r["id"]) for r in rows]
