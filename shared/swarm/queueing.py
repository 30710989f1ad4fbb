"""Queued swarm members reaching an executor: handed off one ``workflow-run`` delivery
each, passed a slot of their agent's pool when one frees, and handed off again by the
per-minute job when nothing else will.

A member stays ``queued`` until a delivery claims it, and nothing depends on any one
delivery arriving: a member whose hand-off was lost (the message dropped, the publish
failed) is handed off again once its ``start_by`` passed; one waiting for a slot
(``slot_wait_since``) whenever the job runs; one whose executor died mid-call once its
lease expired. A second delivery of a member finds it claimed and does nothing."""

from __future__ import annotations

from datetime import timedelta

from shared import clock
from shared.config import get_settings
from shared.logs import get
from shared.swarm import members
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


def pass_on(agent_id: str) -> None:
    """The slot of ``agent_id`` just freed goes to the member waiting longest for one,
    handed off again; without a hand-off, waiting members are threads that look again
    themselves."""
    queue = handoff.get_run_queue()
    if queue is not None:
        user_limit = get_settings().agent_pool_user_limit
        hand_off(queue, members.waiting_for_slot(agent_id, user_limit, 1))


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
    units = members.waiting_for_slot(None, settings.agent_pool_user_limit, limit)
    lost = members.lost(now, again_by, limit)
    if lost:
        log.info("swarm members handed off again (their hand-off was lost): %d", len(lost))
    units += lost + members.stalled(limit)
    return len(units) - len(hand_off(queue, units))
