"""Runs waiting for an event (a ``waitForEvent`` step), one wait record per run.

A run begins to wait in one transaction: it goes ``waiting`` with its checkpoint,
gives its lease up, and its wait is recorded (``workflow_waits``: the user, the step,
the event type, the rendered conditions, when it began and when it times out). Only an
event dispatched once that has committed can resume it.

A wait ends once, by whoever first locks the waiting run and deletes its record: the
dispatch of a matching event of the run's user before the timeout, the per-minute job
after it, or a cancel. Each of them locks the run row before the wait record, so they
queue rather than deadlock, and every one after the first finds the run no longer
waiting and does nothing. One event may end the waits of many runs."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from shared import conditions
from shared.db import Row, get_database
from shared.errors import AppError
from shared.logs import get
from shared.workflows import runs
from shared.workflows.step_types.wait_for_event import ended

log = get(__name__)


def begin(run_id: str, owner: str, user_id: str, step_results: list[dict[str, Any]]) -> Row | None:
    """Checkpoint the run ``waiting`` for what its last step waits for and give its
    lease up; None when the lease is no longer this owner's."""
    waiting = step_results[-1]
    wants = waiting["waitingFor"]
    with get_database().transaction() as tx:
        row = tx.one(
            "UPDATE workflow_runs SET status = 'waiting', step_results = %s::jsonb, "
            "lease_owner = NULL, lease_until = NULL "
            "WHERE id = %s AND lease_owner = %s AND status = 'running' "
            f"RETURNING {runs.COLUMNS}",
            (json.dumps(step_results, default=str), run_id, owner),
        )
        if row is None:
            return None
        tx.execute(
            "INSERT INTO workflow_waits (run_id, user_id, step_id, event_type, conditions, "
            "began_at, timeout_at) VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s)",
            (
                run_id,
                user_id,
                waiting["id"],
                wants["eventType"],
                json.dumps(wants["conditions"], default=str),
                datetime.fromisoformat(waiting["startedAt"]),
                datetime.fromisoformat(wants["timeoutAt"]),
            ),
        )
    return row


def matching(event: dict[str, Any], now: datetime) -> list[str]:
    """The runs of the event's user waiting for it, the longest waiting first: its
    type, conditions that hold for its payload, not timed out by ``now``."""
    with get_database().transaction() as tx:
        rows = tx.all(
            "SELECT run_id, conditions FROM workflow_waits "
            "WHERE user_id = %s AND event_type = %s AND timeout_at > %s "
            "ORDER BY began_at, run_id",
            (event["userId"], event["eventType"], now),
        )
    payload = event.get("payload")
    if not isinstance(payload, dict):
        payload = {}
    return [str(r["run_id"]) for r in rows if _holds(r, payload)]


def awaited(event: dict[str, Any], now: datetime) -> tuple[str, tuple[Any, ...]]:
    """The query telling whether a run of the event's user waits for its type, not
    timed out by ``now`` (its conditions unread: erring towards yes only costs the
    dispatch a commit)."""
    return (
        "SELECT EXISTS (SELECT 1 FROM workflow_waits WHERE user_id = %s "
        "AND event_type = %s AND timeout_at > %s)",
        (event["userId"], event["eventType"], now),
    )


def _holds(wait: Row, payload: dict[str, Any]) -> bool:
    try:
        return conditions.matches(wait["conditions"] or {}, payload)
    except AppError as exc:  # recorded before a rule tightened: never matches, never crashes
        log.warning(
            "wait conditions unusable", extra={"runId": str(wait["run_id"]), "error": exc.message}
        )
        return False


def timed_out(now: datetime, limit: int) -> list[Row]:
    """Runs whose wait timed out by ``now`` (``id``, ``user_id``), the longest
    overdue first."""
    with get_database().transaction() as tx:
        return tx.all(
            "SELECT run_id AS id, user_id FROM workflow_waits WHERE timeout_at <= %s "
            "ORDER BY timeout_at LIMIT %s",
            (now, limit),
        )


def end(
    run_id: str, owner: str, now: datetime, event: dict[str, Any] | None, *, keep: bool = True
) -> Row | None:
    """End the run's wait, with ``event`` (of its user, before the timeout) or with
    its timeout (``event`` None, ``now`` past it), and lease the run, running again, to
    ``owner`` (``keep`` False: a lease that ends at once, for a hand-off); None when it
    is not waiting any more, or not for this."""
    with get_database().transaction() as tx:
        run = tx.one(
            "SELECT user_id, step_results FROM workflow_runs "
            "WHERE id = %s AND status = 'waiting' FOR UPDATE",
            (run_id,),
        )
        wait = tx.one("SELECT step_id, timeout_at FROM workflow_waits WHERE run_id = %s", (run_id,))
        if run is None or wait is None:
            return None
        if event is not None and (event["userId"] != run["user_id"] or wait["timeout_at"] <= now):
            return None
        if event is None and wait["timeout_at"] > now:
            return None
        results = [
            ended(r, event)
            if r.get("id") == wait["step_id"] and r.get("status") == "waiting"
            else r
            for r in run["step_results"] or []
        ]
        tx.execute("DELETE FROM workflow_waits WHERE run_id = %s", (run_id,))
        return runs.lease_again(tx, run_id, owner, results, keep=keep)
