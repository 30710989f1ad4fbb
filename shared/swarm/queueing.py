"""Calls of an agent waiting for their turn, and how each reaches an executor: swarm
members handed off one ``workflow-run`` delivery each, and the calls that found their
agent's pool full given a freed slot.

Two kinds of call wait for a slot (``shared.swarm.pools``). A swarm member goes back to
``queued`` (``slot_wait_since``). An agent step puts its run to sleep at the step
(``workflow_runs.slot_agent_id``, ``slot_wait_since``, written in the transaction that
found the pool full), holding no process. Whoever frees a slot passes it on
(``pass_on``) to the call of that agent waiting longest whose user has room: a member is
handed off again; a sleeping run is made due (``wake_at`` now) and handed off, and its
delivery wakes it. A step whose run went to sleep just as a slot freed wakes at once
(``AgentType.settled``), so no freed slot is missed between the two.

Nothing depends on any one delivery or pass-on: the per-minute job hands off again the
members whose hand-off was lost (queued past ``start_by``), those waiting for a slot,
and those whose executor died mid-call (``requeue_members``), and makes due the agent
steps waiting for a pool that has room (``wake_waiting_steps``), which ``wake_due``
then wakes. A second delivery of a member or a run finds it taken and does nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared import clock
from shared.config import get_settings
from shared.db import get_database
from shared.logs import get
from shared.swarm import members, pools
from shared.swarm.members import Unit
from shared.workflows import handoff

log = get(__name__)


def hand_off(queue: handoff.RunQueue, units: list[Unit]) -> list[int]:
    """One ``workflow-run`` delivery per member; the indexes of those not accepted,
    which stay queued (the per-minute job or the swarm's timeout sees to them)."""
    if not units:
        return []
    messages = [
        {"id": u.run_id, "user_id": u.user_id, "step_id": u.step_id, "member": u.index}
        for u in units
    ]
    try:
        results = queue.hand_off(messages)
    except Exception as exc:  # the queue itself is unusable
        results = [exc] * len(units)
    lost = [u for u, err in zip(units, results, strict=True) if err is not None]
    if lost:
        names = ", ".join(f"{u.run_id}/{u.step_id}/{u.index}" for u in lost)
        log.warning("swarm members not handed off: %s", names)
    return [u.index for u in lost]


def take_for_step(agent_id: str, user_id: str, run_id: str, holder: str, seconds: int) -> bool:
    """Take a slot of ``agent_id`` for an agent step of the run; without one, the run is
    recorded waiting for it (since when it first waited for this agent), with one, no
    longer waiting, in the transaction that counted the pool."""
    with get_database().transaction() as tx:
        got = pools.take(tx, agent_id, user_id, holder, seconds)
        if got:
            tx.execute(
                "UPDATE workflow_runs SET slot_agent_id = NULL, slot_wait_since = NULL "
                "WHERE id = %s AND user_id = %s AND slot_agent_id IS NOT NULL",
                (run_id, user_id),
            )
        else:
            tx.execute(
                "UPDATE workflow_runs SET slot_wait_since = CASE WHEN slot_agent_id = %s "
                "THEN coalesce(slot_wait_since, now()) ELSE now() END, slot_agent_id = %s "
                "WHERE id = %s AND user_id = %s",
                (agent_id, agent_id, run_id, user_id),
            )
    return got


def steps_waiting(agent_id: str, user_limit: int, limit: int) -> list[dict[str, Any]]:
    """Runs sleeping at an agent step that waits for a slot of ``agent_id``, the longest
    waiting first, leaving out those whose user holds all of their share of the pool."""
    with get_database().transaction() as tx:
        return tx.all(
            "SELECT r.id, r.user_id, r.slot_wait_since FROM workflow_runs r "
            "WHERE r.status = 'sleeping' AND r.slot_agent_id = %s "
            "AND (SELECT count(*) FROM agent_pool_slots s WHERE s.agent_id = r.slot_agent_id "
            "AND s.user_id = r.user_id AND s.expires_at >= now()) < %s "
            "ORDER BY r.slot_wait_since, r.id LIMIT %s",
            (agent_id, user_limit, limit),
        )


def pass_on(agent_id: str) -> None:
    """The slot of ``agent_id`` just freed goes to the call waiting longest for one: a
    member is handed off again (without a hand-off, waiting members are threads that
    look again themselves), an agent step's run is made due and handed off. Best
    effort, never raising: the per-minute job passes on what this could not."""
    try:
        queue = handoff.get_run_queue()
        user_limit = get_settings().agent_pool_user_limit
        step = steps_waiting(agent_id, user_limit, 1)
        member = members.waiting_for_slot(agent_id, user_limit, 1) if queue is not None else []
        if step and not (member and member[0][1] < step[0]["slot_wait_since"]):
            _wake(queue, step)
        elif member and queue is not None:
            hand_off(queue, [member[0][0]])
    except Exception as exc:  # the slot is free; the per-minute job finds who waits
        log.warning("slot of %s not passed on: %s", agent_id, exc)


def _wake(queue: handoff.RunQueue | None, runs: list[dict[str, Any]]) -> None:
    """Make the sleeping runs due now, and hand them off: their delivery wakes them
    (or, with no hand-off or a lost one, the per-minute job's ``wake_due``)."""
    now = clock.now()
    with get_database().transaction() as tx:
        due = tx.all(
            "UPDATE workflow_runs SET wake_at = least(wake_at, %s) "
            "WHERE id = ANY(%s::uuid[]) AND status = 'sleeping' RETURNING id, user_id",
            (now, [str(r["id"]) for r in runs]),
        )
    if queue is None or not due:
        return
    try:
        results = queue.hand_off(due)
    except Exception as exc:  # the queue itself is unusable
        results = [exc] * len(due)
    for run, error in zip(due, results, strict=True):
        if error is not None:
            log.warning("run %s waiting for a slot not handed off: %s", run["id"], error)


def requeue_members(limit: int = 50) -> int:
    """The per-minute job's duty: hand off again the members waiting for a slot (the
    deliveries that freed slots died before passing them on), those whose hand-off was
    lost (queued past ``start_by``, ``WORKFLOW_RUN_START_GRACE_SECONDS`` after it), and
    those whose executor died mid-call (its lease expired)."""
    queue = handoff.get_run_queue()
    if queue is None:
        return 0
    settings = get_settings()
    now = clock.now()
    again_by = now + timedelta(seconds=settings.workflow_run_start_grace_seconds)
    units = [u for u, _ in members.waiting_for_slot(None, settings.agent_pool_user_limit, limit)]
    lost = members.lost(now, again_by, limit)
    if lost:
        log.info("swarm members handed off again (their hand-off was lost): %d", len(lost))
    units += lost + members.stalled(limit)
    return len(units) - len(hand_off(queue, units))


def wake_waiting_steps(limit: int = 50) -> int:
    """The per-minute job's duty: for each agent whose pool has room, make due (and hand
    off) as many of the agent steps waiting for it as fit, the longest waiting first:
    the slots freed by calls whose process died (their slots expired), or whose pass-on
    was lost. How many it made due."""
    settings = get_settings()
    with get_database().transaction() as tx:
        agents = tx.all(
            "SELECT slot_agent_id AS agent_id, min(slot_wait_since) AS since "
            "FROM workflow_runs WHERE status = 'sleeping' AND slot_agent_id IS NOT NULL "
            "GROUP BY slot_agent_id ORDER BY since LIMIT %s",
            (limit,),
        )
    queue = handoff.get_run_queue()
    woken = 0
    for row in agents:
        room = min(settings.agent_pool_limit - pools.in_use(row["agent_id"]), limit - woken)
        if room <= 0:
            continue
        waiting = steps_waiting(row["agent_id"], settings.agent_pool_user_limit, room)
        if waiting:
            _wake(queue, waiting)
            woken += len(waiting)
    return woken
