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
from typing import Any

from shared.agents.base import AgentResult
from shared.logs import get
from shared.swarm import decide, members
from shared.swarm.members import Unit
from shared.workflows import retries, runs
from shared.workflows.agent_step import call_agent

log = get(__name__)
BACKOFF_SECONDS = retries.DEFAULT_BACKOFF_SECONDS


def execute(unit: Unit) -> bool:
    """Execute the member unless it ended or someone else executes it; whether this
    call did."""
    owner = uuid.uuid4().hex
    row = members.claim(unit, owner, runs.lease_seconds())
    if row is None:
        return False
    began = time.monotonic()
    result = _attempts(unit, row, owner)
    if result is None:
        return True
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
        return True
    rows = members.of_step(unit)
    if decide.settled(rows, int(rows[0]["quorum"])):
        from shared.workflows import engine

        engine.wake_settled(unit.run_id, unit.step_id)
    return True


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
    still out then are left to their threads, and the swarm times them out."""
    pool = ThreadPoolExecutor(max_workers=len(units), thread_name_prefix="swarm-member")
    try:
        futures = [pool.submit(_guarded, unit) for unit in units]
        wait(futures, timeout=max(0.0, seconds))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _guarded(unit: Unit) -> None:
    try:
        execute(unit)
    except Exception as exc:  # the member stays running; the swarm's timeout ends it
        log.warning("swarm member %s of run %s stopped: %s", unit.index, unit.run_id, exc)
