"""The ``swarm`` step: many agents on one task, and one decision.

``{"members": [{"agentId": "scribe_01", "count": 3}, ...], "action": "generate",
"config": {...templated...}, "decide": "vote" | "best" | "merge", "quorum": N,
"timeoutSeconds": S, "voteKey": "field"}``. Each member call is its own durable unit
(``shared.swarm.members``), attempted up to the step's ``retries``. When runs are handed
off, each member goes on its own ``workflow-run`` delivery and the run sleeps, holding
no process, until the member that settles the swarm wakes it, or until the timeout;
without a hand-off the step runs its members in threads and waits for them itself.
Either way the step then decides (``shared.swarm.outcome``) over the members that
succeeded, times out the ones still out, fails when fewer than the quorum (default: a
majority) succeeded, and announces the decision as ``swarm.decided``."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field

from shared import clock
from shared.agents.registry import agents, get_agent
from shared.config import get_settings
from shared.db import get_database
from shared.events import outbox
from shared.swarm import decide, members, queueing
from shared.swarm.members import Planned, Unit
from shared.swarm.outcome import decided
from shared.workflows import handoff
from shared.workflows.errors import StepWaits
from shared.workflows.step_types.base import (
    ConfigModel,
    Refuse,
    RunContext,
    StepModel,
    StepType,
)
from shared.workflows.templating import render

MAX_MEMBERS = 32
DEFAULT_TIMEOUT_SECONDS = 300
MAX_TIMEOUT_SECONDS = 86_400
DECIDED = "swarm.decided"
DECISION_EVENT_CHARS = 4000  # a larger decision is left out of the event (the run has it)
_DECIDED_IDS = uuid.UUID("0b7d7f3e-4f5e-4d0a-8a51-6c2b9d1e7a40")  # namespace of event ids


class Member(ConfigModel):
    agent_id: str = Field(alias="agentId", min_length=1, max_length=100)
    count: int = Field(1, ge=1, le=MAX_MEMBERS)
    action: str | None = Field(None, min_length=1, max_length=100)  # the swarm's by default


class SwarmConfig(ConfigModel):
    members: list[Member] = Field(min_length=1, max_length=MAX_MEMBERS)
    action: str = Field(min_length=1, max_length=100)
    config: dict[str, Any] = Field(default_factory=dict)
    decide: Literal["vote", "best", "merge"] = "vote"
    quorum: int | None = Field(None, ge=1, le=MAX_MEMBERS)
    timeout_seconds: int = Field(
        DEFAULT_TIMEOUT_SECONDS, alias="timeoutSeconds", ge=1, le=MAX_TIMEOUT_SECONDS
    )
    vote_key: str | None = Field(None, alias="voteKey", min_length=1, max_length=200)

    def planned(self, max_attempts: int) -> list[Planned]:
        return [
            Planned(m.agent_id, m.action or self.action, max_attempts)
            for m in self.members
            for _ in range(m.count)
        ]

    def quorum_of(self, size: int) -> int:
        return self.quorum if self.quorum is not None else size // 2 + 1


class SwarmStep(StepModel):
    type: Literal["swarm"]
    config: SwarmConfig


class SwarmType(StepType[SwarmStep]):
    name = "swarm"
    model = SwarmStep

    def check(self, step: SwarmStep, refuse: Refuse) -> None:
        cfg = step.config
        size = sum(m.count for m in cfg.members)
        if size > MAX_MEMBERS:
            raise refuse(f"a swarm has at most {MAX_MEMBERS} members, not {size}")
        if cfg.quorum_of(size) > size:
            raise refuse(f"quorum {cfg.quorum} is more than the swarm's {size} members")
        for m in cfg.members:
            agent = get_agent(m.agent_id)
            if agent is None:
                known = ", ".join(sorted(agents())) or "none"
                raise refuse(f"unknown agent {m.agent_id!r} (known: {known})")
            action = m.action or cfg.action
            if action not in agent.actions:
                actions = ", ".join(sorted(agent.actions))
                raise refuse(f"agent {m.agent_id} has no action {action!r} (actions: {actions})")

    def templated(self, step: SwarmStep) -> Any:
        return step.config.config

    def execute(
        self, step: SwarmStep, scope: dict[str, Any], ctx: RunContext, record: dict[str, Any]
    ) -> Any:
        cfg = step.config
        carried = record.get("input")  # carried over from before the run slept
        given: dict[str, Any] = carried if isinstance(carried, dict) else {}
        first = "deadline" not in given
        payload = render(cfg.config, scope) if first else given["payload"]
        deadline = (
            clock.now() + timedelta(seconds=cfg.timeout_seconds)
            if first
            else datetime.fromisoformat(given["deadline"])
        )
        planned = cfg.planned(step.retries + 1)
        quorum = cfg.quorum_of(len(planned))
        record["input"] = {
            "members": [{"agentId": p.agent_id, "action": p.action} for p in planned],
            "payload": payload,
            "decide": cfg.decide,
            "quorum": quorum,
            "deadline": deadline.isoformat(),
        }
        unit = Unit(ctx.run_id, ctx.user_id, step.id)
        start_by = clock.now() + timedelta(seconds=get_settings().workflow_run_start_grace_seconds)
        if first:
            members.reopen(unit, start_by)  # a retried run gives its failed members another go
        rows = members.ensure(unit, planned, payload, quorum, start_by)
        if not decide.settled(rows, quorum) and clock.now() < deadline:
            queue = handoff.get_run_queue()
            if queue is None:
                units = [replace(unit, index=r["member_index"]) for r in rows]
                from shared.swarm import member  # the agents it calls: on use

                member.run_all(units, (deadline - clock.now()).total_seconds())
                rows = members.of_step(unit)
            else:
                if first:
                    queued = [r for r in rows if r["status"] == "queued"]
                    units = [replace(unit, index=r["member_index"]) for r in queued]
                    queueing.hand_off(queue, units)
                raise StepWaits(deadline)
        if any(r["status"] not in members.ENDED for r in rows):
            reason = "timed out" if not decide.settled(rows, quorum) else "quorum out of reach"
            rows = members.time_out(unit, reason)
        output = decided(cfg.decide, rows, quorum, ctx.user_id, cfg.vote_key)
        _announce(ctx, step.id, output)
        return output

    def settled(self, ctx: RunContext, record: dict[str, Any]) -> bool:
        rows = members.of_step(Unit(ctx.run_id, ctx.user_id, str(record["id"])))
        return bool(rows) and decide.settled(rows, int(rows[0]["quorum"]))


def _announce(ctx: RunContext, step_id: str, output: dict[str, Any]) -> None:
    """``swarm.decided``, once per step of a run however often the step decides, with
    the decision itself (for triggers' conditions and the runs they start) unless it is
    too large for an event; the run's step output always holds it."""
    payload: dict[str, Any] = {
        "runId": ctx.run_id,
        "workflowId": ctx.workflow_id,
        "stepId": step_id,
        "strategy": output["strategy"],
        "winner": output["winner"],
        "decision": output["decision"],
        "quorum": output["quorum"],
        "succeeded": output["succeeded"],
        "members": len(output["members"]),
    }
    if len(json.dumps(output["decision"], default=str)) > DECISION_EVENT_CHARS:
        payload |= {"decision": None, "decisionOmitted": True}
    event_id = str(uuid.uuid5(_DECIDED_IDS, ctx.effect_key(step_id)))
    with get_database().transaction() as tx:
        outbox.record(tx, ctx.user_id, DECIDED, payload, depth=ctx.depth + 1, event_id=event_id)


TYPE = SwarmType()
