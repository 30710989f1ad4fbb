"""Executing one member of a swarm: its own durable unit.

Whoever claims the member (``members.claim``) calls its agent with the swarm's payload
and the user's memory (``agent_step.call_agent``; the Evolver is the swarm's own
business, not each member's), attempting it again after a failure a retry can fix, up
to the step's ``retries``, with short waits in between. The member's end is recorded
under its lease; the one whose end settles the swarm (``decide.settled``) wakes the run
sleeping at the swarm step, which then decides (``shared.workflows.engine.wake_settled``).

Members run on their own ``workflow-run`` deliveries when runs are handed off, and in
threads of the step otherwise (``run_all``): the code and the guarantees are the same."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any, Literal

from shared.agents.base import AgentResult
from shared.logs import get
from shared.swarm import decide, members, pools, queueing
from shared.swarm.members import Unit
from shared.workflows import retries, runs
from shared.workflows.agent_step import call_agent

log = get(__name__)
BACKOFF_SECONDS = retries.DEFAULT_BACKOFF_SECONDS
FIRST_LOOK_SECONDS, LAST_LOOK_SECONDS = 0.02, 0.5  # a member waiting for a slot in a thread


Outcome = Literal["executed", "queued", "gone"]


def execute(unit: Unit) -> Outcome:
    """Execute the member: ``executed``; ``queued`` when its agent's pool had no slot
    for it (it waits, queued, to be handed off again); ``gone`` when it ended or
    someone else executes it."""
    owner = uuid.uuid4().hex
    lease = runs.lease_seconds()
    row = members.claim(unit, owner, lease)
    if row is None:
        return "gone"
    agent_id, holder = row["agent_id"], f"{unit.run_id}:{unit.step_id}:{unit.index}"
    if not pools.acquire(agent_id, unit.user_id, holder, lease):
        members.requeue(unit, owner)
        log.info(
            "swarm member %s of run %s waits for a slot of %s", unit.index, unit.run_id, agent_id
        )
        if pools.room(agent_id, unit.user_id):  # a slot freed before this one waited
            queueing.pass_on(agent_id)
        return "queued"
    try:
        recorded = _executed(unit, row, owner)
    finally:
        pools.release(holder)
        queueing.pass_on(agent_id)
    if recorded:
        rows = members.of_step(unit)
        if decide.settled(rows, int(rows[0]["quorum"])):
            from shared.workflows import engine

            engine.wake_settled(unit.run_id, unit.step_id)
    return "executed"


def _executed(unit: Unit, row: dict[str, Any], owner: str) -> bool:
    """Call the agent and record the member's end; whether it was recorded."""
    began = time.monotonic()
    result = _attempts(unit, row, owner)
    if result is None:
        return False
    recorded = members.finish(
        unit,
        owner,
        succeeded=result.success,
        output=result.output if result.success else None,
        error=result.error,
        usage=usage_json(result),
        duration_ms=round((time.monotonic() - began) * 1000, 1),
    )
    if not recorded:
        log.info("swarm member %s of run %s ended too late", unit.index, unit.run_id)
    return recorded


def _attempts(unit: Unit, row: dict[str, Any], owner: str) -> AgentResult | None:
    """The member's last attempt; None when it stopped being this owner's."""
    attempt = 0
    while True:
        attempt += 1
        if not members.attempted(unit, owner):
            return None
        result = call_agent(unit.user_id, row["agent_id"], row["action"], row["payload"] or {})
        if result.success or not result.retryable or attempt >= int(row["max_attempts"]):
            return result
        pause = min(retries.wait_after(attempt, BACKOFF_SECONDS), retries.INLINE_WAIT_SECONDS)
        log.info(
            "swarm member %s of run %s failed, attempt %d; next in %.1f s",
            unit.index,
            unit.run_id,
            attempt,
            pause,
        )
        time.sleep(pause)


def usage_json(result: AgentResult) -> dict[str, int]:
    usage = result.usage
    return {
        "calls": usage.calls,
        "inputTokens": usage.input_tokens,
        "outputTokens": usage.output_tokens,
    }


def run_all(units: list[Unit], seconds: float) -> None:
    """Execute the members side by side, waiting at most ``seconds`` for them; those
    still out then are left to their threads, and the swarm times them out. A member
    whose pool is full looks again, more slowly each time, until a slot frees."""
    until = time.monotonic() + max(0.0, seconds)
    pool = ThreadPoolExecutor(max_workers=len(units), thread_name_prefix="swarm-member")
    try:
        futures = [pool.submit(_guarded, unit, until) for unit in units]
        wait(futures, timeout=max(0.0, seconds))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _guarded(unit: Unit, until: float) -> None:
    pause = FIRST_LOOK_SECONDS
    try:
        while execute(unit) == "queued" and time.monotonic() + pause < until:
            time.sleep(pause)
            pause = min(pause * 2, LAST_LOOK_SECONDS)
    except Exception as exc:  # the member stays where it was; the swarm's timeout ends it
        log.warning("swarm member %s of run %s stopped: %s", unit.index, unit.run_id, exc)
