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
is the one it is compared with). A run whose step waits for an event is ``waiting``,
with a wait record (``shared.workflows.waits``) instead of a wake time.

A workflow's flow control (``shared.workflows.flow``) is decided in the transactions
that claim a run and that begin one; a run held back by a concurrency limit is queued
and ``held`` (``begin`` does not take it) until the limit lets it go.

A run handed to its own execution (``shared.workflows.handoff``) is claimed ``queued``:
no lease, and ``start_by``, the moment the per-minute job starts it itself if no
delivery did (``queued_due``). ``begin`` leases a queued run to whoever delivers it
first; every other delivery finds it taken and does nothing. Runs started together (an
event matching many triggers, a tick with many due tasks) are claimed by one statement
(``claim_many``), which reads each workflow's steps as it inserts."""

from __future__ import annotations

import contextlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared import clock, keyset
from shared.db import Row, Tx, get_database
from shared.errors import AppError, Conflict, NotFound
from shared.run_states import STATUSES as STATUSES
from shared.run_states import TRIGGER_TYPES as TRIGGER_TYPES
from shared.run_states import RunStatus as RunStatus
from shared.workflows import flow
from shared.workflows.store import parse_id

COLUMNS = (
    "id, workflow_id, user_id, trigger_type, trigger_data, input, status, step_results, "
    "error, idempotency_key, started_at, finished_at, wake_at"
)
# a run in one of these has not ended: its outcome is still to come
UNFINISHED: tuple[str, ...] = ("queued", "running", "sleeping", "waiting")
UNFINISHED_SQL = ", ".join(f"'{status}'" for status in UNFINISHED)
RECENT = 20
# what an executor needs to resume a run, beyond what the API shows
RESUME_COLUMNS = (
    f"{COLUMNS}, definition, depth, executions, start_by, flow_control, flow_key, priority, held"
)
_EXECUTOR_ONLY = (
    "definition",
    "depth",
    "executions",
    "start_by",
    "flow_control",
    "flow_key",
    "priority",
    "held",
)
_LEASE = "now() + make_interval(secs => %s)"


def lease_seconds() -> int:
    from shared.config import get_settings

    return get_settings().workflow_run_lease_seconds


@dataclass(frozen=True)
class Request:
    """One run to claim: what started it, and for whom."""

    workflow_id: str  # a canonical uuid (``store.parse_id``)
    user_id: str
    trigger_type: str
    trigger_data: dict[str, Any]
    input: dict[str, Any]
    idempotency_key: str | None = None
    depth: int = 0


def claim_many(
    requests: list[Request], *, owner: str, start_by: datetime | None
) -> list[tuple[Row, bool] | AppError]:
    """Insert one run per request in one statement, each with its workflow's steps;
    for each, the run and whether this call created it, or why not (``NotFound``,
    ``Conflict``). ``start_by`` None: the new runs are ``running``, leased to
    ``owner``; else ``queued`` until then. A request for an inactive workflow is
    inserted ``skipped``, with the reason as its error. A key seen before returns the
    first run, whatever its status."""
    ids = [str(uuid.uuid4()) for _ in requests]
    records = [
        {
            "id": run_id,
            "workflow_id": r.workflow_id,
            "user_id": r.user_id,
            "trigger_type": r.trigger_type,
            "trigger_data": r.trigger_data or {},
            "input": r.input or {},
            "idempotency_key": r.idempotency_key,
            "depth": r.depth,
        }
        for run_id, r in zip(ids, requests, strict=True)
    ]
    queued = start_by is not None
    with get_database().transaction() as tx:
        inserted = tx.all(
            _CLAIM,
            (
                json.dumps(records, default=str),
                "queued" if queued else "running",
                None if queued else owner,
                queued,
                lease_seconds(),
                start_by,
            ),
        )
        inserted = flow.apply(tx, inserted, clock.now())
        by_id = {str(row["id"]): row for row in inserted}
        keys = [
            (r.user_id, r.idempotency_key)
            for run_id, r in zip(ids, requests, strict=True)
            if r.idempotency_key and run_id not in by_id
        ]
        firsts = _firsts(tx, keys)
    claimed: list[tuple[Row, bool] | AppError] = []
    for run_id, r in zip(ids, requests, strict=True):
        if run_id in by_id:
            claimed.append((by_id[run_id], True))
            continue
        first = firsts.get((r.user_id, r.idempotency_key)) if r.idempotency_key else None
        if first is None:  # no such workflow of this user (or it was deleted in between)
            claimed.append(NotFound("workflow not found"))
        elif str(first["workflow_id"]) != r.workflow_id:
            claimed.append(Conflict("this idempotency key was already used for another workflow"))
        else:
            claimed.append((first, False))
    return claimed


# The requests as rows, joined to their workflows (one per user, so another user's
# workflow inserts nothing). Parameters: the requests as a JSON array, the status of a
# new active run, its lease owner, whether it is queued, the lease, ``start_by``.
_CLAIM = f"""
WITH req AS (
  SELECT * FROM jsonb_to_recordset(%s::jsonb) AS r(
    id uuid, workflow_id uuid, user_id text, trigger_type text, trigger_data jsonb,
    input jsonb, idempotency_key text, depth integer)
), opts AS (
  SELECT %s::text AS status, %s::text AS owner, %s::boolean AS queued,
         make_interval(secs => %s) AS lease, %s::timestamptz AS start_by
)
INSERT INTO workflow_runs (id, workflow_id, user_id, trigger_type, trigger_data, input,
  status, error, idempotency_key, definition, depth, lease_owner, lease_until, start_by,
  finished_at, flow_control)
SELECT r.id, w.id, r.user_id, r.trigger_type, r.trigger_data, r.input,
  CASE WHEN w.is_active THEN o.status ELSE 'skipped' END,
  CASE WHEN w.is_active THEN NULL ELSE 'workflow is inactive' END,
  r.idempotency_key, w.steps, r.depth,
  CASE WHEN w.is_active AND NOT o.queued THEN o.owner END,
  CASE WHEN w.is_active AND NOT o.queued THEN now() + o.lease END,
  CASE WHEN w.is_active AND o.queued THEN o.start_by END,
  CASE WHEN w.is_active THEN NULL ELSE now() END, w.flow_control
FROM req r JOIN workflows w ON w.id = r.workflow_id AND w.user_id = r.user_id
CROSS JOIN opts o
ORDER BY r.user_id, r.idempotency_key
ON CONFLICT (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING {RESUME_COLUMNS}
"""


def _firsts(tx: Tx, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Row]:
    """The runs already holding these (user, idempotency key) pairs."""
    if not keys:
        return {}
    rows = tx.all(
        f"SELECT {RESUME_COLUMNS} FROM workflow_runs WHERE (user_id, idempotency_key) IN "
        "(SELECT * FROM unnest(%s::text[], %s::text[]))",
        ([u for u, _ in keys], [k for _, k in keys]),
    )
    return {(row["user_id"], row["idempotency_key"]): row for row in rows}


def begin(run_id: str, user_id: str, owner: str) -> Row | None:
    """Lease a queued run to ``owner``, running; the row, or None when it is not
    queued any more (another delivery began it, it was cancelled, or never existed)."""
    with get_database().transaction() as tx:
        row = tx.one(
            f"UPDATE workflow_runs SET status = 'running', start_by = NULL, lease_owner = %s, "
            f"lease_until = {_LEASE} WHERE id = %s AND user_id = %s AND status = 'queued' "
            f"AND NOT held RETURNING {RESUME_COLUMNS}",
            (owner, lease_seconds(), run_id, user_id),
        )
        return row if row is None or flow.admit(tx, row) else None


def find(run_id: str, user_id: str) -> Row | None:
    """The run as an executor sees it, or None."""
    with get_database().transaction() as tx:
        return tx.one(
            f"SELECT {RESUME_COLUMNS} FROM workflow_runs WHERE id = %s AND user_id = %s",
            (run_id, user_id),
        )


def queued_due(now: datetime, limit: int) -> list[Row]:
    """Queued runs whose hand-off should have started them by ``now``, oldest first."""
    with get_database().transaction() as tx:
        return tx.all(
            "SELECT id, user_id FROM workflow_runs WHERE status = 'queued' AND start_by <= %s "
            "ORDER BY priority DESC, start_by LIMIT %s",
            (now, limit),
        )


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
) -> Row:
    """Insert a run that has already ended: one executed inside ``tx`` (its steps are
    pure), committed with it or not at all. The insert travels with the commit
    (``Tx.defer``); a key taken before fails the commit (``key_taken``). The row as
    recorded, its times by the project's clock."""
    tx.defer(
        "INSERT INTO workflow_runs (id, workflow_id, user_id, trigger_type, trigger_data, "
        "input, status, step_results, error, idempotency_key, definition, depth, finished_at) "
        "VALUES (%s, %s, %s, %s, %s::jsonb, '{}'::jsonb, %s, %s::jsonb, %s, %s, %s::jsonb, %s, "
        "now())",
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
    now = clock.now()
    return {
        "id": run_id,
        "workflow_id": workflow_id,
        "user_id": user_id,
        "trigger_type": trigger_type,
        "trigger_data": trigger_data,
        "input": {},
        "status": status,
        "step_results": step_results,
        "error": error,
        "idempotency_key": idempotency_key,
        "started_at": now,
        "finished_at": now,
        "wake_at": None,
    }


def key_taken(exc: BaseException) -> bool:
    """Whether a failed commit means a run's idempotency key was taken before."""
    details = exc.args[0] if exc.args else None
    return (
        isinstance(details, dict)
        and details.get("C") == "23505"
        and details.get("n") == "workflow_runs_idempotency"
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


def due(now: datetime, limit: int) -> list[Row]:
    """Sleeping runs whose wake time has come (``id``, ``user_id``), the longest
    overdue first."""
    with get_database().transaction() as tx:
        return tx.all(
            "SELECT id, user_id FROM workflow_runs WHERE status = 'sleeping' AND wake_at <= %s "
            "ORDER BY wake_at LIMIT %s",
            (now, limit),
        )


_WAKE = (
    f"UPDATE workflow_runs SET status = 'running', wake_at = NULL, lease_owner = %s, "
    f"lease_until = {_LEASE}, executions = executions + 1 WHERE id = %s AND status = 'sleeping' "
)


def wake(run_id: str, owner: str, now: datetime) -> Row | None:
    """Lease a sleeping run whose wake time has come to ``owner``, running again; the
    row, or None when it is not due, or someone else woke or cancelled it first."""
    with get_database().transaction() as tx:
        return tx.one(
            f"{_WAKE} AND wake_at <= %s RETURNING {RESUME_COLUMNS}",
            (owner, lease_seconds(), run_id, now),
        )


def wake_early(run_id: str, step_id: str, owner: str) -> Row | None:
    """Lease a run sleeping at ``step_id`` to ``owner`` before its wake time, running
    again; None when it is not sleeping there (woken already, or never slept)."""
    with get_database().transaction() as tx:
        return tx.one(
            f"{_WAKE} AND step_results -> -1 ->> 'id' = %s RETURNING {RESUME_COLUMNS}",
            (owner, lease_seconds(), run_id, step_id),
        )


def lease_again(
    tx: Tx, run_id: str, owner: str, step_results: list[dict[str, Any]], *, keep: bool = True
) -> Row:
    """Within ``tx``, which holds the run: running again, with these results, leased
    to ``owner`` (a failed run retried, a waiting run whose wait just ended); with
    ``keep`` False, the lease ends at once, for the run's hand-off to take over."""
    row = tx.one(
        "UPDATE workflow_runs SET status = 'running', error = NULL, finished_at = NULL, "
        "step_results = %s::jsonb, lease_owner = %s, lease_until = "
        f"CASE WHEN %s THEN {_LEASE} ELSE now() END, "
        f"executions = executions + 1 WHERE id = %s RETURNING {RESUME_COLUMNS}",
        (json.dumps(step_results, default=str), owner, keep, lease_seconds(), run_id),
    )
    assert row is not None
    return row


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
    """Stop a run that has not ended: it is ``cancelled`` at once. A running run's
    executor, whose lease this ends, stops after the step in flight (recording it); a
    queued, sleeping or waiting run has none, so its waiting step and the rest are
    recorded skipped here, a waiting run's wait is dropped, and a delivery of a queued
    run then finds it not queued. 409 for a run that has ended."""
    run_id = parse_id(run_id, "run")
    with get_database().transaction() as tx:
        run = tx.one(
            "SELECT status, step_results, definition FROM workflow_runs "
            "WHERE id = %s AND user_id = %s FOR UPDATE",
            (run_id, user_id),
        )
        if run is None:
            raise NotFound("run not found")
        if run["status"] not in UNFINISHED:
            raise Conflict(
                f"run is {run['status']}: only a queued, running, sleeping or waiting run can be cancelled"
            )
        results = run["step_results"] or []
        if run["status"] != "running":
            results = stopped(run["definition"] or [], results)
        tx.execute(
            "DELETE FROM workflow_waits WHERE run_id = %s AND user_id = %s", (run_id, user_id)
        )
        row = tx.one(
            "UPDATE workflow_runs SET status = 'cancelled', error = 'cancelled', "
            "step_results = %s::jsonb, finished_at = now(), lease_owner = NULL, "
            "lease_until = NULL, wake_at = NULL, start_by = NULL "
            f"WHERE id = %s RETURNING {COLUMNS}",
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
    kept = {k: v for k, v in waiting.items() if k not in ("nextAttemptAt", "waitingFor")}
    return kept | {"status": "skipped", "reason": _CANCELLED}


def record_cancelled(run_id: str, step_results: list[dict[str, Any]]) -> Row | None:
    """The results of a cancelled run's last executor, once it stopped."""
    with get_database().transaction() as tx:
        return tx.one(
            "UPDATE workflow_runs SET step_results = %s::jsonb WHERE id = %s "
            f"AND status = 'cancelled' RETURNING {COLUMNS}",
            (json.dumps(step_results, default=str), run_id),
        )


def reopen(user_id: str, run_id: str, owner: str, *, keep: bool = True) -> Row:
    """A failed run made to continue from its failed step, leased to ``owner`` (with
    ``keep`` False, for its hand-off to take over: see ``lease_again``): the results
    before that step are kept, the rest dropped. 409 unless it failed."""
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
        return lease_again(tx, run_id, owner, kept, keep=keep)


def page(
    user_id: str,
    workflow_id: str | None,
    *,
    limit: int,
    cursor: str | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    """The user's runs (of one workflow, or of all with ``workflow_id`` None), newest
    first, ``next_cursor`` continuing after the last."""
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


def expired(limit: int) -> list[Row]:
    """Runs whose executor stopped holding their lease (its process died; ``id``,
    ``user_id``), oldest lease first."""
    with get_database().transaction() as tx:
        return tx.all(
            "SELECT id, user_id FROM workflow_runs WHERE status = 'running' "
            "AND (lease_until IS NULL OR lease_until < now()) "
            "ORDER BY lease_until NULLS FIRST LIMIT %s",
            (limit,),
        )
