"""The ``agent`` step: one action of a registered agent, with the rendered ``config``
as its payload (``shared.workflows.agent_step``).

The call takes a slot of its agent's pool first (``shared.swarm.pools``: at most
``AGENT_POOL_LIMIT`` calls of one agent at once, ``AGENT_POOL_USER_LIMIT`` of one user),
held by the step (its effect key) and given back however the call ends; a slot of a
process that died expires with the run's lease. A step that finds the pool full does
not fail and holds no process: its run sleeps at the step, waiting for a slot, and is
woken when one frees (``shared.swarm.queueing``) or, at the latest, after
``SLOT_RECHECK_SECONDS``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import Field

from shared import clock
from shared.agents.registry import agents, get_agent
from shared.events import causation
from shared.logs import get
from shared.swarm import pools, queueing
from shared.workflows import runs
from shared.workflows.errors import StepFailed, StepWaits
from shared.workflows.step_types.base import Refuse, RunContext, StepModel, StepType
from shared.workflows.templating import render

log = get(__name__)
SLOT_RECHECK_SECONDS = 300  # the latest a step waiting for a slot looks again


class AgentStep(StepModel):
    type: Literal["agent"]
    agent_id: str = Field(alias="agentId", min_length=1, max_length=100)
    action: str = Field(min_length=1, max_length=100)
    config: dict[str, Any] = Field(default_factory=dict)


class AgentType(StepType[AgentStep]):
    name = "agent"
    model = AgentStep

    def check(self, step: AgentStep, refuse: Refuse) -> None:
        agent = get_agent(step.agent_id)
        if agent is None:
            known = ", ".join(sorted(agents())) or "none"
            raise refuse(f"unknown agent {step.agent_id!r} (known: {known})")
        if step.action not in agent.actions:
            actions = ", ".join(sorted(agent.actions))
            raise refuse(
                f"agent {step.agent_id} has no action {step.action!r} (actions: {actions})"
            )

    def templated(self, step: AgentStep) -> Any:
        return step.config

    def execute(
        self, step: AgentStep, scope: dict[str, Any], ctx: RunContext, record: dict[str, Any]
    ) -> Any:
        payload = render(step.config, scope)
        record["input"] = {"agentId": step.agent_id, "action": step.action, "payload": payload}
        holder = ctx.effect_key(step.id)
        agent_id = step.agent_id
        if not queueing.take_for_step(
            agent_id, ctx.user_id, ctx.run_id, holder, runs.lease_seconds()
        ):
            log.info(
                "agent step %s of run %s waits for a slot of %s", step.id, ctx.run_id, agent_id
            )
            record["waitingForSlot"] = {"agentId": agent_id}
            raise StepWaits(clock.now() + timedelta(seconds=SLOT_RECHECK_SECONDS))
        try:
            with causation.on_behalf_of_run(ctx.run_id, ctx.user_id):  # the events it causes
                from shared.workflows.agent_step import run_agent_step  # the Evolver: on use

                result = run_agent_step(
                    ctx.user_id,
                    agent_id,
                    step.action,
                    payload,
                    depth=ctx.depth,
                    will_retry=ctx.retries_left > 0,
                    effect_key=holder,
                )
        finally:
            pools.release(holder)
            queueing.pass_on(agent_id)
        if not result.success:
            raise StepFailed(
                result.error or f"{step.agent_id} failed",
                output=result.output or None,
                retryable=result.retryable,
            )
        return result.output

    def settled(self, ctx: RunContext, record: dict[str, Any]) -> bool:
        """A step that went to sleep for a slot goes on at once when one freed
        meanwhile (its holder found no run sleeping to pass it to)."""
        waits = record.get("waitingForSlot")
        return isinstance(waits, dict) and pools.room(str(waits["agentId"]), ctx.user_id)


TYPE = AgentType()
