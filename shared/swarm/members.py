"""The member units of swarm steps as rows (``swarm_members``), one per member call.

A swarm step inserts its members once (``ON CONFLICT DO NOTHING``: a step executed
again after a resume finds them as they are). A member is executed by whoever claims
it first (``claim``: a conditional update of a queued member, or of a running one whose
executor's lease expired), and its end is written only under that lease and only while
the member is still ``running`` (``finish``): once the swarm timed a member out
(``time_out``), its late answer is dropped. Every statement is scoped by the run's
user."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.db import Row, get_database
from shared.workflows.runs import UNFINISHED_SQL

ENDED = ("succeeded", "failed", "timed_out")
_RUN_UNFINISHED = (
    f"EXISTS (SELECT 1 FROM workflow_runs r WHERE r.id = run_id AND r.status IN ({UNFINISHED_SQL}))"
)
COLUMNS = (
    "run_id, step_id, member_index, user_id, agent_id, action, payload, max_attempts, quorum, "
    "status, attempts, output, error, usage, started_at, finished_at, duration_ms"
)


@dataclass(frozen=True)
class Unit:
    """Which member: the run and step it belongs to, and its place in the swarm."""

    run_id: str
    user_id: str
    step_id: str
    index: int = 0  # ignored where a statement is about the whole step


@dataclass(frozen=True)
class Planned:
    """A member to insert: its agent, its action and how often it may be attempted."""

    agent_id: str
    action: str
    max_attempts: int


def ensure(
    unit: Unit,
    planned: list[Planned],
    payload: dict[str, Any],
    quorum: int,
    start_by: datetime,
) -> list[Row]:
    """Insert the step's members unless they exist, queued until ``start_by`` (when the
    per-minute job hands off again one no delivery claimed); every member of the step,
    by index."""
    with get_database().transaction() as tx:
        tx.execute(
            "INSERT INTO swarm_members (run_id, step_id, member_index, user_id, agent_id, "
            "action, payload, max_attempts, quorum, start_by) "
            "SELECT %s, %s, m.i - 1, %s, m.agent_id, m.action, %s::jsonb, m.max_attempts, %s, %s "
            "FROM unnest(%s::text[], %s::text[], %s::integer[]) "
            "WITH ORDINALITY AS m(agent_id, action, max_attempts, i) "
            "ON CONFLICT (run_id, step_id, member_index) DO NOTHING",
            (
                unit.run_id,
                unit.step_id,
                unit.user_id,
                json.dumps(payload, default=str),
                quorum,
                start_by,
                [p.agent_id for p in planned],
                [p.action for p in planned],
                [p.max_attempts for p in planned],
            ),
        )
    return of_step(unit)


def of_step(unit: Unit) -> list[Row]:
    """Every member of the step ``unit`` belongs to, by index."""
    with get_database().transaction() as tx:
        return tx.all(
            f"SELECT {COLUMNS} FROM swarm_members WHERE run_id = %s AND user_id = %s "
            "AND step_id = %s ORDER BY member_index",
            (unit.run_id, unit.user_id, unit.step_id),
        )


def of_run(run_id: str, user_id: str) -> list[Row]:
    """Every member of the run's swarm steps, by step and index (the run view)."""
    with get_database().transaction() as tx:
        return tx.all(
            f"SELECT {COLUMNS} FROM swarm_members WHERE run_id = %s AND user_id = %s "
            "ORDER BY step_id, member_index",
            (run_id, user_id),
        )


def claim(unit: Unit, owner: str, lease_seconds: int) -> Row | None:
    """Lease the member to ``owner``, running; None when it ended, another executor
    holds it, or its run ended (cancelled) without it."""
    with get_database().transaction() as tx:
        return tx.one(
            "UPDATE swarm_members SET status = 'running', lease_owner = %s, "
            "lease_until = now() + make_interval(secs => %s) "
            "WHERE run_id = %s AND user_id = %s AND step_id = %s AND member_index = %s "
            "AND (status = 'queued' OR (status = 'running' AND lease_until < now())) "
            f"AND {_RUN_UNFINISHED} RETURNING {COLUMNS}",
            (owner, lease_seconds, unit.run_id, unit.user_id, unit.step_id, unit.index),
        )


def attempted(unit: Unit, owner: str) -> bool:
    """Count one attempt; False when the member is no longer this owner's."""
    with get_database().transaction() as tx:
        return (
            tx.execute(
                "UPDATE swarm_members SET attempts = attempts + 1, slot_wait_since = NULL, "
                "started_at = coalesce(started_at, now()) WHERE run_id = %s "
                "AND user_id = %s AND step_id = %s AND member_index = %s "
                "AND lease_owner = %s AND status = 'running'",
                (unit.run_id, unit.user_id, unit.step_id, unit.index, owner),
            )
            == 1
        )


def requeue(unit: Unit, owner: str) -> bool:
    """Put a claimed member back, queued, to wait for a slot of its agent's pool (since
    when it first waited); False when it is not this owner's any more."""
    with get_database().transaction() as tx:
        return (
            tx.execute(
                "UPDATE swarm_members SET status = 'queued', lease_owner = NULL, "
                "lease_until = NULL, slot_wait_since = coalesce(slot_wait_since, now()) "
                "WHERE run_id = %s AND user_id = %s AND step_id = %s AND member_index = %s "
                "AND lease_owner = %s AND status = 'running'",
                (unit.run_id, unit.user_id, unit.step_id, unit.index, owner),
            )
            == 1
        )


def waiting_for_slot(
    agent_id: str | None, user_limit: int, limit: int
) -> list[tuple[Unit, datetime]]:
    """Members waiting for a slot (of ``agent_id``, or of any agent), each with since
    when, the longest waiting first, leaving out those whose user holds all of their
    share of the pool."""
    with get_database().transaction() as tx:
        rows = tx.all(
            "SELECT m.run_id, m.user_id, m.step_id, m.member_index, m.slot_wait_since "
            "FROM swarm_members m WHERE m.status = 'queued' AND m.slot_wait_since IS NOT NULL "
            f"AND (%s::text IS NULL OR m.agent_id = %s) AND {_RUN_UNFINISHED.replace('run_id', 'm.run_id')} "
            "AND (SELECT count(*) FROM agent_pool_slots s WHERE s.agent_id = m.agent_id "
            "AND s.user_id = m.user_id AND s.expires_at >= now()) < %s "
            "ORDER BY m.slot_wait_since, m.run_id, m.member_index LIMIT %s",
            (agent_id, agent_id, user_limit, limit),
        )
    return [
        (
            Unit(str(r["run_id"]), r["user_id"], r["step_id"], r["member_index"]),
            r["slot_wait_since"],
        )
        for r in rows
    ]


def stalled(limit: int) -> list[Unit]:
    """Running members whose executor's lease expired (its process died), of runs not
    ended, the longest expired first: a new delivery takes them over."""
    with get_database().transaction() as tx:
        rows = tx.all(
            "SELECT run_id, user_id, step_id, member_index FROM swarm_members "
            f"WHERE status = 'running' AND lease_until < now() AND {_RUN_UNFINISHED} "
            "ORDER BY lease_until LIMIT %s",
            (limit,),
        )
    return [Unit(str(r["run_id"]), r["user_id"], r["step_id"], r["member_index"]) for r in rows]


def lost(now: datetime, again_by: datetime, limit: int) -> list[Unit]:
    """Queued members no delivery claimed by their ``start_by`` (their hand-off was
    lost), of runs not ended, the longest overdue first; each is given until
    ``again_by`` before it counts as lost again. Concurrent callers take different ones."""
    with get_database().transaction() as tx:
        rows = tx.all(
            "UPDATE swarm_members m SET start_by = %s FROM ("
            "SELECT run_id, step_id, member_index FROM swarm_members "
            "WHERE status = 'queued' AND slot_wait_since IS NULL AND start_by <= %s "
            f"AND {_RUN_UNFINISHED} ORDER BY start_by LIMIT %s FOR UPDATE SKIP LOCKED) due "
            "WHERE m.run_id = due.run_id AND m.step_id = due.step_id "
            "AND m.member_index = due.member_index "
            "RETURNING m.run_id, m.user_id, m.step_id, m.member_index",
            (again_by, now, limit),
        )
    return [Unit(str(r["run_id"]), r["user_id"], r["step_id"], r["member_index"]) for r in rows]


def reopen(unit: Unit, start_by: datetime) -> None:
    """The step's members that failed or timed out, queued again until ``start_by``:
    the step runs anew (its run was retried from it)."""
    with get_database().transaction() as tx:
        tx.execute(
            "UPDATE swarm_members SET status = 'queued', output = NULL, error = NULL, "
            "usage = NULL, finished_at = NULL, duration_ms = NULL, slot_wait_since = NULL, "
            "start_by = %s WHERE run_id = %s AND user_id = %s AND step_id = %s "
            "AND status IN ('failed', 'timed_out')",
            (start_by, unit.run_id, unit.user_id, unit.step_id),
        )


def finish(
    unit: Unit,
    owner: str,
    *,
    succeeded: bool,
    output: dict[str, Any] | None,
    error: str | None,
    usage: dict[str, int],
    duration_ms: float,
) -> bool:
    """Record the member's end; False when it is not this owner's any more (timed out,
    or taken over after this executor stalled past its lease)."""
    with get_database().transaction() as tx:
        return (
            tx.execute(
                "UPDATE swarm_members SET status = %s, output = %s::jsonb, error = %s, "
                "usage = %s::jsonb, duration_ms = %s, finished_at = now(), "
                "lease_owner = NULL, lease_until = NULL "
                "WHERE run_id = %s AND user_id = %s AND step_id = %s AND member_index = %s "
                "AND lease_owner = %s AND status = 'running'",
                (
                    "succeeded" if succeeded else "failed",
                    json.dumps(output, default=str) if output is not None else None,
                    error,
                    json.dumps(usage),
                    duration_ms,
                    unit.run_id,
                    unit.user_id,
                    unit.step_id,
                    unit.index,
                    owner,
                ),
            )
            == 1
        )


def time_out(unit: Unit, reason: str) -> list[Row]:
    """The swarm decides without the members not ended (its time is up, or they could
    not change the outcome): they are ``timed_out`` with ``reason``; all members."""
    with get_database().transaction() as tx:
        tx.execute(
            "UPDATE swarm_members SET status = 'timed_out', error = %s, "
            "finished_at = now(), lease_owner = NULL, lease_until = NULL "
            "WHERE run_id = %s AND user_id = %s AND step_id = %s "
            "AND status IN ('queued', 'running')",
            (reason, unit.run_id, unit.user_id, unit.step_id),
        )
    return of_step(unit)


def with_progress(run: Row) -> Row:
    """The run with each swarm step's members as they stand (a swarm in progress has
    no output yet to show them)."""
    records = run.get("step_results") or []
    if not any(r.get("type") == "swarm" for r in records):
        return run
    found: dict[str, list[dict[str, Any]]] = {}
    for row in of_run(str(run["id"]), run["user_id"]):
        found.setdefault(row["step_id"], []).append(progress(row))
    shown = [
        r | {"members": found[r["id"]]} if r.get("type") == "swarm" and r.get("id") in found else r
        for r in records
    ]
    return run | {"step_results": shown}


def progress(row: Row) -> dict[str, Any]:
    """What the run view shows of a member as it stands."""
    return {
        "index": row["member_index"],
        "agentId": row["agent_id"],
        "action": row["action"],
        "status": row["status"],
        "attempts": row["attempts"],
        "error": row["error"],
        "durationMs": row["duration_ms"],
    }
