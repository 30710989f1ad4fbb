"""Agent outputs of workflow steps pass through the Evolver.

What is evolved is the output's ``content`` field when it is a non-empty string (the
convention of agents that write for the audience, such as ``scribe_01``); the rest of
the output (ids, titles, scores, structured analyses) is left as the agent made it,
so a step's shape never changes. The evolved text replaces ``content``, the output
gains an ``evolution`` summary, and the evolution's model usage is added to the
step's. Whether it runs is the user's Evolver setting for that agent (enabled unless
they turned it off). A failure here (the database unavailable) leaves the agent's
output as it was: the step succeeds as the agent made it."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from shared import logs
from shared.agents.base import AgentResult
from shared.errors import AppError
from shared.evolver import service
from shared.model import Usage

log = logs.get(__name__)

EVOLVED_FIELD = "content"
CONTEXT_CHARS = 2000


def evolve_agent_result(
    user_id: str,
    agent_id: str,
    action: str,
    payload: dict[str, Any],
    result: AgentResult,
    *,
    depth: int = 0,
) -> AgentResult:
    content = result.output.get(EVOLVED_FIELD)
    if not result.success or not isinstance(content, str) or not content.strip():
        return result
    request = json.dumps(payload, ensure_ascii=False, default=str)[:CONTEXT_CHARS]
    try:
        outcome = service.evolve(
            user_id,
            agent_id,
            content,
            {"action": action, "request": request},
            source="workflow",
            depth=depth,
        )
    except AppError as exc:
        log.warning("agent output not evolved: %s", exc.message, extra={"agentId": agent_id})
        return result
    if outcome["evolutionId"] is None:  # disabled for this agent
        return result
    used = outcome["usage"]
    usage = Usage().add(result.usage)
    usage.add(Usage(used["calls"], used["inputTokens"], used["outputTokens"]))
    output = {
        **result.output,
        EVOLVED_FIELD: outcome["evolved"],
        "evolution": {
            "evolutionId": outcome["evolutionId"],
            "iterations": outcome["iterations"],
            "initialScore": outcome["initialScore"],
            "finalScore": outcome["finalScore"],
            "stopReason": outcome["stopReason"],
        },
    }
    return replace(result, output=output, usage=usage)
