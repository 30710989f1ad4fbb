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

from datetime import datetime, timedelta
from typing import Any

from shared import clock
from shared.clock import as_utc
from shared.config import get_settings
from shared.db import Row, Tx, get_database
from shared.errors import AppError
from shared.logs import get
from shared.scheduler.cron import Schedule, rfc3339
from shared.scheduler.fire import (
    TINY,
    Claim,
    advance,
    coalesce,
    execute_many,
    record,
    record_missed,
    running_elsewhere,
    slot_key,
)
from shared.scheduler.tasks import COLUMNS

log = get(__name__)


def _claim_due(
    tx: Tx, task: Row, now: datetime, due_before: datetime, source: str
) -> tuple[Claim | None, dict[str, Any]]:
    schedule = Schedule(task["cron_expression"], task["timezone"])
    start = as_utc(task["next_run_at"])
    window_start = now - timedelta(seconds=task["catchup_window_seconds"])
    summary: dict[str, Any] = {"taskId": str(task["id"])}
    missed = record_missed(tx, task, schedule, start, min(window_start, due_before + TINY), now)
    if missed:
        summary["missed"] = missed
    recent, _ = schedule.between(max(start, window_start) - TINY, due_before, 100_000)
    claim = None
    if recent:
        latest = recent[-1].at
        key = slot_key(latest)
        coalesce(tx, task, [s.at for s in recent[:-1]], latest, now)
        busy = running_elsewhere(tx, task, key, now) if task["overlap_policy"] == "skip" else None
        if busy:
            detail = f"previous run {busy} still running"
            record(tx, task, key, latest, "skipped", source, now, detail)
            summary.update(status="skipped", reason=detail)
        elif (row_id := record(tx, task, key, latest, "running", source, now)) is not None:
            claim = Claim(row_id, task, key, latest, source, latest)
            summary.update(status="claimed", slot=rfc3339(latest), coalesced=len(recent) - 1)
        else:
            summary.update(status="duplicate", slot=rfc3339(latest))
    fired_at = now if claim else None
    advance(tx, task, fired_at=fired_at, slot=claim.slot_at if claim else None, after=due_before)
    return claim, summary


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
    claims: list[Claim] = []
    tasks: list[dict[str, Any]] = []
    with get_database().transaction() as tx:
        due = tx.all(
            f"SELECT {COLUMNS} FROM scheduled_tasks WHERE is_active AND next_run_at <= %s "
            "ORDER BY next_run_at, id LIMIT %s FOR UPDATE SKIP LOCKED",
            (due_before, size),
        )
        for task in due:
            claim, summary = _claim_due(tx, task, now, due_before, source)
            if claim:
                claims.append(claim)
            tasks.append(summary)
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
