"""A fire's history row ends with its run, whatever ends the run.

A fire is claimed (its ``scheduled_task_runs`` row inserted ``running``) before its run
starts, and closed after the run returns. A process that dies in between leaves the
row ``running``: with overlap ``skip`` every later slot would then be skipped as
"previous run still running". The per-minute job settles such rows: a row whose run
has ended (resumed and finished elsewhere) is closed as ``fired``; a row whose run was
never started (the process died right after the claim) has its run started now, under
the same idempotency key, so the fire happens once."""

from __future__ import annotations

from datetime import timedelta

from shared import clock
from shared.db import Row, get_database
from shared.errors import Retryable
from shared.logs import get
from shared.scheduler.fire import Claim, execute
from shared.scheduler.tasks import COLUMNS
from shared.workflows.ended import run_ended_listener
from shared.workflows.runs import UNFINISHED_SQL, lease_seconds

log = get(__name__)

BATCH = 200
_RUN_OF_ROW = (
    "w.user_id = r.user_id AND w.idempotency_key = 'schedule:' || r.task_id || ':' || r.fire_key"
)


@run_ended_listener
def close_fire(run: Row) -> None:
    """Close the history row of the fire whose run just ended."""
    key = run.get("idempotency_key") or ""
    if run["trigger_type"] != "scheduled" or not key.startswith("schedule:"):
        return
    _, task_id, fire_key = key.split(":", 2)
    with get_database().transaction() as tx:
        tx.execute(
            "UPDATE scheduled_task_runs SET status = 'fired', workflow_run_id = %s, "
            "detail = %s, finished_at = now() WHERE task_id = %s AND fire_key = %s "
            "AND user_id = %s AND status = 'running'",
            (run["id"], f"workflow run {run['status']}", task_id, fire_key, run["user_id"]),
        )


def settle_fires() -> int:
    """Close or finish the fires left ``running``; how many were settled."""
    with get_database().transaction() as tx:
        closed = tx.execute(
            "UPDATE scheduled_task_runs r SET status = 'fired', workflow_run_id = w.id, "
            "detail = 'workflow run ' || w.status, finished_at = now() "
            f"FROM workflow_runs w WHERE {_RUN_OF_ROW} AND w.status NOT IN ({UNFINISHED_SQL}) "
            "AND r.id IN (SELECT id FROM scheduled_task_runs WHERE status = 'running' "
            "ORDER BY created_at LIMIT %s)",
            (BATCH,),
        )
        before = clock.now() - timedelta(seconds=lease_seconds())
        orphans = tx.all(
            "SELECT r.id AS row_id, r.fire_key, r.slot_at, r.source, r.created_at AS claimed_at, t.* "
            "FROM scheduled_task_runs r JOIN scheduled_tasks t ON t.id = r.task_id "
            "WHERE r.status = 'running' AND r.created_at < %s AND NOT EXISTS "
            f"(SELECT 1 FROM workflow_runs w WHERE {_RUN_OF_ROW}) "
            "ORDER BY r.created_at LIMIT %s",
            (before, BATCH),
        )
    started = 0
    for row in orphans:
        task = {name: row[name] for name in _TASK_FIELDS}
        claim = Claim(
            str(row["row_id"]),
            task,
            row["fire_key"],
            row["slot_at"],
            row["source"],
            row["slot_at"] or row["claimed_at"],
            resumed=True,
        )
        try:
            execute(claim)
            started += 1
        except Retryable:
            raise
        except Exception as exc:  # recorded on the run; the others still go
            log.warning("could not finish fire %s: %s", row["row_id"], exc)
    return closed + started


_TASK_FIELDS = [name.strip() for name in COLUMNS.split(",")]
