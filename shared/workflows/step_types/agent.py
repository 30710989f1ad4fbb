"""The ``agent`` step: one action of a registered agent, with the rendered ``config``
as its payload (``shared.workflows.agent_step``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from shared.agents.registry import agents, get_agent
from shared.events import causation
from shared.workflows.agent_step import run_agent_step
from shared.workflows.errors import StepFailed
from shared.workflows.step_types.base import Refuse, RunContext, StepModel, StepType
from shared.workflows.templating import render


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
        with causation.on_behalf_of_run(ctx.run_id, ctx.user_id):  # the events it causes
            result = run_agent_step(
                ctx.user_id,
                step.agent_id,
                step.action,
                payload,
                depth=ctx.depth,
                will_retry=ctx.retries_left > 0,
                effect_key=ctx.effect_key(step.id),
            )
        if not result.success:
            raise StepFailed(
                result.error or f"{step.agent_id} failed",
                output=result.output or None,
                retryable=result.retryable,
            )
        return result.output


TYPE = AgentType()
