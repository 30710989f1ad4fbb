"""Erasing a user: every row of theirs in every table (found by ``catalog``), their
Cloud Scheduler jobs and their pending outbox events.

In order: their unfinished runs are cancelled (an executor stops after the step in
flight); the accounting rows are anonymised (the ledger and the Stripe events keep
their amounts under an opaque tombstone id, the payloads reduced); every other table's
rows are deleted in small batches, children before parents (a user's own memory
indexes are dropped first: their predicate names the user); the ids of their events
are kept as bare keys (``retired_events``) so a late delivery of one recreates
nothing; then the task's mirror jobs are deleted. Each step only finds what is left,
so running it twice, or twice at once, erases once: the second run reports nothing
to do. A mirror call that fails leaves the job to the hourly reconcile, which deletes
jobs without a task."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from shared import logs
from shared.db import Tx, get_database
from shared.errors import Conflict
from shared.lifecycle import batches
from shared.lifecycle.catalog import Scope, ident, scopes
from shared.memory import user_index
from shared.treasury.payloads import reduced

log = logs.get(__name__)

# kept for accounting, with the user id replaced by a tombstone: not deleted
ANONYMISED = ("revenue_ledger", "stripe_events")
# rows from outside that name the user only inside a body (no user column)
MENTIONS = {"rejected_deliveries": "body"}
TOMBSTONE_PREFIX = "erased:"


@dataclass
class Erasure:
    user_id: str
    runs_cancelled: int = 0
    anonymised: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    jobs_deleted: int = 0

    @property
    def anything(self) -> bool:
        counts = [*self.anonymised.values(), *self.deleted.values()]
        return bool(self.runs_cancelled or self.jobs_deleted or any(counts))

    def as_json(self) -> dict[str, Any]:
        return {
            "erased": True,
            "nothingToDo": not self.anything,
            "runsCancelled": self.runs_cancelled,
            "anonymised": {k: n for k, n in self.anonymised.items() if n},
            "deleted": {k: n for k, n in self.deleted.items() if n},
            "schedulerJobsDeleted": self.jobs_deleted,
        }


def erase(user_id: str) -> Erasure:
    report = Erasure(user_id)
    report.runs_cancelled = _cancel_runs(user_id)
    with get_database().transaction() as tx:
        tasks = [str(r["id"]) for r in tx.all(_TASKS, (user_id,))]
        found = scopes(tx)
    report.anonymised = _anonymise(user_id)
    user_index.drop(get_database(), user_id)
    for scope in reversed(found):  # children before the rows they reference
        if scope.table not in ANONYMISED:
            report.deleted[scope.table] = _delete(scope, user_id)
    for table, column in MENTIONS.items():
        report.deleted[table] = report.deleted.get(table, 0) + batches.delete(
            table, f"strpos({ident(column)}, %s) > 0", (json.dumps(user_id),)
        )
    report.jobs_deleted = _delete_jobs(tasks)
    log.info("user erased", extra={"erasure": report.as_json()})
    return report


_TASKS = "SELECT id FROM scheduled_tasks WHERE user_id = %s"


def _cancel_runs(user_id: str) -> int:
    from shared.workflows import runs

    with get_database().transaction() as tx:
        unfinished = tx.all(
            f"SELECT id FROM workflow_runs WHERE user_id = %s AND status IN ({runs.UNFINISHED_SQL})",
            (user_id,),
        )
    cancelled = 0
    for row in unfinished:
        try:
            runs.cancel(user_id, str(row["id"]))
            cancelled += 1
        except Conflict:  # it ended meanwhile
            pass
    return cancelled


def _anonymise(user_id: str) -> dict[str, int]:
    """One transaction under a per-user lock, so one tombstone stands for the user even
    when two erasures run at once (the second then finds nothing)."""
    with get_database().transaction() as tx:
        tx.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", ("erase:" + user_id,))
        tombstone = TOMBSTONE_PREFIX + uuid.uuid4().hex
        ledger = tx.execute(
            "UPDATE revenue_ledger SET user_id = %s WHERE user_id = %s", (tombstone, user_id)
        )
        return {"revenue_ledger": ledger, "stripe_events": _reduce_events(tx, user_id, tombstone)}


def _reduce_events(tx: Tx, user_id: str, tombstone: str) -> int:
    rows = tx.all("SELECT id, payload FROM stripe_events WHERE user_id = %s FOR UPDATE", (user_id,))
    for row in rows:
        tx.execute(
            "UPDATE stripe_events SET user_id = %s, payload = %s::jsonb, "
            "payload_reduced_at = coalesce(payload_reduced_at, now()) WHERE id = %s",
            (tombstone, json.dumps(reduced(row["payload"])), row["id"]),
        )
    return len(rows)


def _delete(scope: Scope, user_id: str) -> int:
    if scope.table == "usage_events":
        return batches.retire_events(scope.where, scope.params(user_id))
    return batches.delete(scope.table, scope.where, scope.params(user_id))


def _delete_jobs(tasks: list[str]) -> int:
    from shared.scheduler.sync import sync_task

    return sum(sync_task(task_id) == "in_sync" for task_id in tasks)
