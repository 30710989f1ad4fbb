"""Firing a task: one delivery of Cloud Scheduler (or of the local clock, which sends
the same request), or a slot the tick claimed.

A fire is keyed by (task, slot). The key is claimed by inserting the history row
(``ON CONFLICT (task_id, fire_key) DO NOTHING``) while the task row is locked, and the
workflow runs under the engine's idempotency key ``schedule:<task>:<key>``: the same
key delivered twice, one after the other or at once, runs the workflow once. A
delivery whose claimed row is still ``running`` (its first attempt failed in a way a
retry can fix) calls the engine again with the same key, which returns the first run
if there is one and starts it otherwise.

Outcomes: a paused task records ``skipped`` and runs nothing; a deleted task is
acknowledged; a retryable failure raises ``Retryable`` (non-2xx: Cloud Scheduler
retries); a permanent one is recorded ``failed`` and acknowledged."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared import clock
from shared.clock import as_utc
from shared.config import get_settings
from shared.db import Row, Tx, get_database
from shared.errors import AppError, BadRequest, Retryable
from shared.logs import get
from shared.scheduler import tasks
from shared.scheduler.cron import Schedule, Schedules, rfc3339
from shared.scheduler.tasks import COLUMNS
from shared.workflows.engine import Started, start_many
from shared.workflows.runs import UNFINISHED, Request

log = get(__name__)

MISSED_COUNT_LIMIT = 1000  # beyond this, the missed row says "more than"
TINY = timedelta(microseconds=1)


@dataclass(frozen=True)
class Delivery:
    """A request to fire one task: what Cloud Scheduler's headers said."""

    task_id: str
    schedule_time: datetime | None  # None: no usable X-CloudScheduler-ScheduleTime
    job_name: str | None = None


@dataclass(frozen=True)
class Claim:
    """A history row in state ``running`` that this caller must now execute."""

    row_id: str
    task: Row
    fire_key: str
    slot_at: datetime | None
    source: str
    schedule_time: datetime
    resumed: bool = False  # a row an earlier attempt claimed and did not finish


def slot_key(at: datetime) -> str:
    return f"slot:{rfc3339(at)}"


def record(
    tx: Tx,
    task: Row,
    key: str,
    slot_at: datetime | None,
    status: str,
    source: str,
    now: datetime,
    detail: str | None = None,
) -> str | None:
    """Insert a history row unless the key exists; its id, or None when it existed."""
    finished = None if status == "running" else now
    row_id = tx.scalar(
        "INSERT INTO scheduled_task_runs (task_id, user_id, fire_key, slot_at, status, source, "
        "detail, created_at, finished_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (task_id, fire_key) DO NOTHING RETURNING id",
        (task["id"], task["user_id"], key, slot_at, status, source, detail, now, finished),
    )
    return str(row_id) if row_id is not None else None


def record_many(
    tx: Tx,
    rows: list[tuple[Row, str, datetime | None, str, str | None]],
    source: str,
    now: datetime,
) -> dict[tuple[str, str], str]:
    """``record`` for many (task, key, slot, status, detail) in one statement: the id
    of each row inserted, by (task id, key); a key that existed is not among them."""
    if not rows:
        return {}
    records = [
        {"t": str(task["id"]), "u": task["user_id"], "k": key, "s": slot, "st": status, "d": detail}
        for task, key, slot, status, detail in rows
    ]
    inserted = tx.all(
        "INSERT INTO scheduled_task_runs (task_id, user_id, fire_key, slot_at, status, source, "
        "detail, created_at, finished_at) SELECT t, u, k, s, st, %s, d, %s, "
        "CASE WHEN st = 'running' THEN NULL ELSE %s::timestamptz END "
        "FROM jsonb_to_recordset(%s::jsonb) AS r(t uuid, u text, k text, s timestamptz, "
        "st text, d text) "
        "ON CONFLICT (task_id, fire_key) DO NOTHING RETURNING id, task_id, fire_key",
        (source, now, now, json.dumps(records, default=_iso)),
    )
    return {(str(r["task_id"]), r["fire_key"]): str(r["id"]) for r in inserted}


def running_of(tx: Tx, task_ids: list[str], now: datetime) -> dict[str, list[Row]]:
    """The fires of these tasks still in progress (recent enough to be alive), by task."""
    stale = now - timedelta(seconds=get_settings().scheduler_run_stale_seconds)
    rows = tx.all(
        "SELECT id, task_id, fire_key FROM scheduled_task_runs WHERE task_id = ANY(%s::uuid[]) "
        "AND status = 'running' AND created_at > %s",
        (task_ids, stale),
    )
    found: dict[str, list[Row]] = {}
    for row in rows:
        found.setdefault(str(row["task_id"]), []).append(row)
    return found


def running_elsewhere(tx: Tx, task: Row, key: str, now: datetime) -> str | None:
    """The id of a run of this task still in progress (recent enough to be alive)."""
    stale = now - timedelta(seconds=get_settings().scheduler_run_stale_seconds)
    found = tx.scalar(
        "SELECT id FROM scheduled_task_runs WHERE task_id = %s AND status = 'running' "
        "AND fire_key <> %s AND created_at > %s LIMIT 1",
        (task["id"], key, stale),
    )
    return str(found) if found is not None else None


def advance(
    tx: Tx, task: Row, *, fired_at: datetime | None, slot: datetime | None, after: datetime
) -> None:
    """Move the task on: the next slot after ``after``; counters when something runs."""
    next_run = Schedule(task["cron_expression"], task["timezone"]).next_after(after)
    tx.execute(
        "UPDATE scheduled_tasks SET next_run_at = %s, "
        "last_slot_at = GREATEST(last_slot_at, %s), "
        "run_count = run_count + %s, last_run_at = COALESCE(%s, last_run_at) WHERE id = %s",
        (next_run, slot, 1 if fired_at else 0, fired_at, task["id"]),
    )


def advance_many(
    tx: Tx,
    moves: list[tuple[Row, datetime | None, datetime | None]],
    *,
    after: datetime,
    schedules: Schedules,
) -> None:
    """``advance`` for many (task, fired at, slot) in one statement."""
    if not moves:
        return
    nexts = [schedules.of(t["cron_expression"], t["timezone"]).next_after(after) for t, *_ in moves]
    records = [
        {"id": str(task["id"]), "next_run": n, "slot": slot, "fired": 1 if fired else 0}
        | {"fired_at": fired}
        for (task, fired, slot), n in zip(moves, nexts, strict=True)
    ]
    tx.execute(
        "UPDATE scheduled_tasks t SET next_run_at = v.next_run, "
        "last_slot_at = GREATEST(t.last_slot_at, v.slot), run_count = t.run_count + v.fired, "
        "last_run_at = COALESCE(v.fired_at, t.last_run_at) "
        "FROM jsonb_to_recordset(%s::jsonb) AS v(id uuid, next_run timestamptz, "
        "slot timestamptz, fired integer, fired_at timestamptz) WHERE t.id = v.id",
        (json.dumps(records, default=_iso),),
    )


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def coalesce(tx: Tx, task: Row, slots: list[datetime], into: datetime, now: datetime) -> None:
    if not slots:
        return
    tx.execute(
        "INSERT INTO scheduled_task_runs (task_id, user_id, fire_key, slot_at, status, source, "
        "detail, created_at, finished_at) "
        "SELECT %s, %s, k, s, 'skipped', 'catchup', %s, %s, %s "
        "FROM unnest(%s::text[], %s::timestamptz[]) AS t(k, s) "
        "ON CONFLICT (task_id, fire_key) DO NOTHING",
        (
            task["id"],
            task["user_id"],
            f"coalesced into the catch-up run of {rfc3339(into)}",
            now,
            now,
            [slot_key(s) for s in slots],
            [s.isoformat() for s in slots],
        ),
    )


def record_missed(
    tx: Tx, task: Row, schedule: Schedule, start: datetime, end: datetime, now: datetime
) -> int:
    """One row for every slot in [start, end): counted up to a limit, never run."""
    slots, more = schedule.between(start - TINY, end - TINY, MISSED_COUNT_LIMIT)
    if not slots:
        return 0
    first, last = slots[0].at, slots[-1].at
    count = f"more than {MISSED_COUNT_LIMIT}" if more else str(len(slots))
    detail = (
        f"{count} slot(s) from {rfc3339(first)} to {rfc3339(last if not more else end)} missed: "
        f"older than the catch-up window ({task['catchup_window_seconds']} s), not run"
    )
    record(tx, task, f"missed:{rfc3339(first)}", first, "missed", "catchup", now, detail)
    return len(slots)


def account_for_gap(tx: Tx, task: Row, expected: datetime, slot: datetime, now: datetime) -> None:
    """Slots between the one the task expected next and the one delivered had no fire
    (their deliveries failed, e.g. while the database was down): those inside the
    catch-up window are coalesced into this fire, older ones recorded as missed. Never
    silently gone: the next fire moves ``next_run_at`` past them, so the tick would not
    see them any more."""
    schedule = Schedule(task["cron_expression"], task["timezone"])
    window_start = now - timedelta(seconds=task["catchup_window_seconds"])
    record_missed(tx, task, schedule, expected, min(window_start, slot), now)
    recent, _ = schedule.between(max(expected, window_start) - TINY, slot - TINY, 100_000)
    coalesce(tx, task, [s.at for s in recent], slot, now)


def _key(task: Row, delivery: Delivery, now: datetime) -> tuple[str, datetime | None, str]:
    """(fire key, slot, source). A schedule time that is no slot of the task's cron is a
    forced run (Cloud Scheduler's "force run" sends the moment it was forced): keyed by
    that time, so its retries still count once. No schedule time: a key of its own."""
    if delivery.schedule_time is None:
        return f"forced:{uuid.uuid4()}", None, "forced"
    slot = Schedule(task["cron_expression"], task["timezone"]).slot_of(delivery.schedule_time)
    if slot is None:
        return f"at:{rfc3339(delivery.schedule_time)}", None, "forced"
    return slot_key(slot.at), slot.at, "scheduler"


def _before_kept_history(tx: Tx, at: datetime | None) -> bool:
    """Whether a slot is older than the fire history retention kept: its key may have
    been purged, and it is far past any catch-up window, so it counts as delivered."""
    if at is None:
        return False
    purged_before = tx.scalar("SELECT purged_before FROM retention_marks WHERE kind = 'fires'")
    return purged_before is not None and at < as_utc(purged_before)


def _claim(delivery: Delivery, now: datetime) -> Claim | dict[str, Any]:
    with get_database().transaction() as tx:
        task = tx.one(
            f"SELECT {COLUMNS} FROM scheduled_tasks WHERE id = %s FOR UPDATE", (delivery.task_id,)
        )
        if task is None:
            return {"status": "ignored", "reason": "no such task (deleted)"}
        key, slot, source = _key(task, delivery, now)
        outcome: dict[str, Any] = {"taskId": delivery.task_id, "fireKey": key}
        if _before_kept_history(tx, slot or delivery.schedule_time):
            return {**outcome, "status": "duplicate", "previous": "purged"}
        schedule_time = slot or delivery.schedule_time or now
        if not task["is_active"]:
            record(tx, task, key, slot, "skipped", source, now, "task is paused")
            return {**outcome, "status": "skipped", "reason": "task is paused"}
        existing = tx.one(
            "SELECT id, status, workflow_run_id FROM scheduled_task_runs "
            "WHERE task_id = %s AND fire_key = %s",
            (task["id"], key),
        )
        if existing is not None:
            if existing["status"] == "running":  # an earlier attempt did not finish
                return Claim(
                    str(existing["id"]), task, key, slot, source, schedule_time, resumed=True
                )
            return {
                **outcome,
                "status": "duplicate",
                "previous": existing["status"],
                "workflowRunId": existing["workflow_run_id"],
            }
        expected = task["next_run_at"]
        if slot is not None and expected is not None and as_utc(expected) < slot:
            account_for_gap(tx, task, as_utc(expected), slot, now)
        if task["overlap_policy"] == "skip" and (busy := running_elsewhere(tx, task, key, now)):
            detail = f"previous run {busy} still running"
            record(tx, task, key, slot, "skipped", source, now, detail)
            advance(tx, task, fired_at=None, slot=slot, after=max(now, slot or now))
            return {**outcome, "status": "skipped", "reason": detail}
        row_id = record(tx, task, key, slot, "running", source, now)
        if row_id is None:  # pragma: no cover - the task row lock serialises claims
            return {**outcome, "status": "duplicate"}
        advance(tx, task, fired_at=now, slot=slot, after=max(now, slot or now))
    return Claim(row_id, task, key, slot, source, schedule_time)


def _finish(row_id: str, status: str, run_id: Any, detail: str | None) -> None:
    with get_database().transaction() as tx:
        tx.execute(
            "UPDATE scheduled_task_runs SET status = %s, workflow_run_id = %s, detail = %s, "
            "finished_at = now() WHERE id = %s AND status = 'running'",
            (status, run_id, detail, row_id),
        )


def execute(claim: Claim) -> dict[str, Any]:
    """Run the claimed fire's workflow once (the engine's idempotency key) and record
    the outcome. ``Retryable`` propagates, leaving the row ``running`` for the retry.
    A claim an earlier attempt made is a duplicate unless this call started the run
    (it was never started, or its executor died and this call took it over)."""
    [outcome] = execute_many([claim])
    return outcome


def execute_many(claims: list[Claim]) -> list[dict[str, Any]]:
    """``execute`` for several claims at once: their runs are claimed in one pass and
    each handed to its own execution (the tick's fan-out)."""
    requests = [
        Request(
            str(claim.task["workflow_id"]),
            claim.task["user_id"],
            "scheduled",
            {
                "taskId": str(claim.task["id"]),
                "scheduleTime": rfc3339(claim.schedule_time),
                "source": claim.source,
            },
            {},
            idempotency_key=run_key(claim.task, claim.fire_key),
        )
        for claim in claims
    ]
    started = start_many(requests) if requests else []
    return [_outcome(claim, s) for claim, s in zip(claims, started, strict=True)]


def _outcome(claim: Claim, started: Started | AppError) -> dict[str, Any]:
    task = claim.task
    outcome: dict[str, Any] = {"taskId": str(task["id"]), "fireKey": claim.fire_key}
    if isinstance(started, Retryable):
        raise started
    if isinstance(started, AppError):  # not the user's any more, invalid: no retry fixes it
        log.warning("scheduled fire of task %s failed: %s", task["id"], started.message)
        _finish(claim.row_id, "failed", None, started.message)
        return {**outcome, "status": "failed", "error": started.message}
    run = started.run
    if run["status"] not in UNFINISHED:  # whoever executed it, the run has ended
        _finish(claim.row_id, "fired", run["id"], f"workflow run {run['status']}")
    # another delivery set the run going (this claim's earlier attempt, or a delivery
    # that resumed this claim before it started the run): it answers ``fired``
    if (claim.resumed or started.found) and not started.executed:
        return {
            **outcome,
            "status": "duplicate",
            "previous": "running" if run["status"] in UNFINISHED else "fired",
            "workflowRunId": run["id"],
        }
    return {**outcome, "status": "fired", "workflowRunId": run["id"], "runStatus": run["status"]}


def run_key(task: Row, fire_key: str) -> str:
    """The engine's idempotency key of one fire of one task."""
    return f"schedule:{task['id']}:{fire_key}"


def fire(delivery: Delivery, now: datetime | None = None) -> dict[str, Any]:
    """Handle one delivery for one task; see the module docstring for the outcomes."""
    try:
        uuid.UUID(delivery.task_id)
    except ValueError:
        raise BadRequest("taskId: must be a task id (uuid)") from None
    now = as_utc(now or clock.now())
    claimed = _claim(delivery, now)
    if isinstance(claimed, dict):
        return claimed
    return execute(claimed)


def fire_now(user_id: str, task_id: str) -> dict[str, Any]:
    """A fire outside the schedule, as Cloud Scheduler's "force run" makes one: a key of
    its own (each request is one fire, recorded with source ``forced``), the task's
    overlap policy applies, and a paused task records it skipped."""
    task = tasks.get(user_id, task_id)
    return fire(Delivery(str(task["id"]), None))
