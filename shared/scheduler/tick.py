"""The per-minute job (body ``{"tick": true}``).

In ``tick`` mode it fires every due task; in ``mirror`` mode Cloud Scheduler fires
them and the tick only catches up slots that were missed (due for longer than
``SCHEDULER_CATCHUP_GRACE_SECONDS`` and never fired). Either way, for each due task:

- the slots inside the task's catch-up window are coalesced into ONE run, keyed by
  the latest of them (the same key Cloud Scheduler's delivery of that slot has, so a
  slot is never run twice); the earlier ones get ``skipped`` rows ("coalesced"),
  which also claims their keys against a late delivery;
- older slots are recorded as ``missed`` in one summarising row, never run;
- the task's ``next_run_at`` moves past everything handled.

Due tasks are locked ``FOR UPDATE SKIP LOCKED``: two ticks at once share the work and
never claim the same slot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared import clock
from shared.clock import as_utc
from shared.config import get_settings
from shared.db import Row, Tx, get_database
from shared.errors import AppError
from shared.logs import get
from shared.scheduler.cron import Schedules, rfc3339
from shared.scheduler.fire import (
    TINY,
    Claim,
    advance_many,
    coalesce,
    execute_many,
    record_many,
    record_missed,
    running_of,
    slot_key,
)
from shared.scheduler.tasks import COLUMNS

log = get(__name__)


@dataclass
class _Plan:
    """What the tick does with one due task, decided before anything is written."""

    task: Row
    summary: dict[str, Any]
    slot: datetime | None = None  # the latest slot in the window: the one to run
    busy: str | None = None  # a run of the task still in progress (overlap "skip")


def _plan(
    tx: Tx,
    task: Row,
    now: datetime,
    due_before: datetime,
    running: dict[str, list[Row]],
    schedules: Schedules,
) -> _Plan:
    """Missed and coalesced slots are recorded here (rare: a statement only when there
    are any); the slot to run is claimed with the batch's other slots afterwards."""
    schedule = schedules.of(task["cron_expression"], task["timezone"])
    start = as_utc(task["next_run_at"])
    window_start = now - timedelta(seconds=task["catchup_window_seconds"])
    plan = _Plan(task, {"taskId": str(task["id"])})
    missed = record_missed(tx, task, schedule, start, min(window_start, due_before + TINY), now)
    if missed:
        plan.summary["missed"] = missed
    recent, _ = schedule.between(max(start, window_start) - TINY, due_before, 100_000)
    if recent:
        plan.slot = recent[-1].at
        coalesce(tx, task, [s.at for s in recent[:-1]], plan.slot, now)
        plan.summary["coalesced"] = len(recent) - 1
        if task["overlap_policy"] == "skip":
            key = slot_key(plan.slot)
            others = [r for r in running.get(str(task["id"]), []) if r["fire_key"] != key]
            plan.busy = str(others[0]["id"]) if others else None
    return plan


def _claim_due(
    tx: Tx, due: list[Row], now: datetime, due_before: datetime, source: str
) -> tuple[list[Claim], list[dict[str, Any]]]:
    """Claim the slot of every due task, with one statement for their history rows and
    one to move them all on."""
    running = running_of(tx, [str(task["id"]) for task in due], now)
    schedules = Schedules()
    plans = [_plan(tx, task, now, due_before, running, schedules) for task in due]
    slotted = [p for p in plans if p.slot is not None]
    details = {id(p): f"previous run {p.busy} still running" for p in slotted if p.busy}
    inserted = record_many(
        tx,
        [
            (
                p.task,
                slot_key(p.slot),
                p.slot,
                "skipped" if p.busy else "running",
                details.get(id(p)),
            )
            for p in slotted
            if p.slot is not None
        ],
        source,
        now,
    )
    claims: list[Claim] = []
    moves: list[tuple[Row, datetime | None, datetime | None]] = []
    for plan in plans:
        claim = None
        if plan.slot is not None:
            key = slot_key(plan.slot)
            row_id = inserted.get((str(plan.task["id"]), key))
            if plan.busy:
                plan.summary.update(status="skipped", reason=details[id(plan)])
            elif row_id is not None:
                claim = Claim(row_id, plan.task, key, plan.slot, source, plan.slot)
                plan.summary.update(status="claimed", slot=rfc3339(plan.slot))
                claims.append(claim)
            else:
                plan.summary.update(status="duplicate", slot=rfc3339(plan.slot))
        moves.append((plan.task, now if claim else None, plan.slot if claim else None))
    advance_many(tx, moves, after=due_before, schedules=schedules)
    return claims, [p.summary for p in plans]


MAX_BATCHES = 100  # SCHEDULER_TICK_BATCH tasks each: 10,000 due tasks a minute by default


def tick(now: datetime | None = None) -> dict[str, Any]:
    """Every due task, a batch of ``SCHEDULER_TICK_BATCH`` at a time: each batch's slots
    are claimed in one transaction, then its runs in one pass, each handed off."""
    settings = get_settings()
    now = as_utc(now or clock.now())
    mode = settings.scheduler_mode
    grace = 0 if mode == "tick" else settings.scheduler_catchup_grace_seconds
    due_before = now - timedelta(seconds=grace)
    source = "tick" if mode == "tick" else "catchup"
    done: list[dict[str, Any]] = []
    for _ in range(MAX_BATCHES):
        batch = _tick_batch(now, due_before, source, settings.scheduler_tick_batch)
        done.extend(batch)
        if len(batch) < settings.scheduler_tick_batch:
            break
    return {"status": "ok", "mode": mode, "due": len(done), "tasks": done}


def _tick_batch(
    now: datetime, due_before: datetime, source: str, size: int
) -> list[dict[str, Any]]:
    with get_database().transaction() as tx:
        due = tx.all(
            f"SELECT {COLUMNS} FROM scheduled_tasks WHERE is_active AND next_run_at <= %s "
            "ORDER BY next_run_at, id LIMIT %s FOR UPDATE SKIP LOCKED",
            (due_before, size),
        )
        claims, tasks = _claim_due(tx, due, now, due_before, source)
    results = {str(t["taskId"]): t for t in tasks}
    try:
        outcomes = execute_many(claims)  # claimed in one pass, each run handed off
    except AppError as exc:  # retryable: the slots stay claimed; record why
        log.warning("tick could not run %d due task(s): %s", len(claims), exc.message)
        outcomes = [{"status": "failed", "error": exc.message} for _ in claims]
        for claim in claims:
            _give_up(claim, exc.message)
    for claim, outcome in zip(claims, outcomes, strict=True):
        results[str(claim.task["id"])].update(outcome)
    return list(results.values())


def _give_up(claim: Claim, message: str) -> None:
    """Best effort: mark a claimed slot that could not start as failed, so it does not
    count as running for the overlap check. If the database is down, it goes stale."""
    try:
        with get_database().transaction() as tx:
            tx.execute(
                "UPDATE scheduled_task_runs SET status = 'failed', detail = %s, "
                "finished_at = now() WHERE id = %s AND status = 'running'",
                (f"could not start: {message}", claim.row_id),
            )
    except AppError:
        log.warning("could not record the failure of run %s", claim.row_id)
