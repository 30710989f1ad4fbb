"""An agent step, as the seed's ``executeAgentStep`` meant it: context built from the
user's memory, the agent executed, the interaction remembered as an episodic memory
with outcome success or failure, and the events it causes recorded.

``_context`` and ``_remember`` are the two seams to the memory capability: they read
the current Digital Soul and recent interactions, and insert the episodic row, with
the same shapes as ``shared.memory.context.build_context`` and
``shared.memory.episodic.record_interaction``, which replace them."""

from __future__ import annotations

import json
from typing import Any

from shared.agents.base import AgentResult, AgentTask
from shared.agents.registry import get_agent
from shared.db import Tx, get_database
from shared.events import outbox
from shared.evolver.agent_output import evolve_agent_result
from shared.logs import get

log = get(__name__)

SUMMARY_CHARS = 1000
EVENT_CONTENT_CHARS = 4000
CONTENT_AGENT = "scribe_01"


def run_agent_step(
    user_id: str, agent_id: str, action: str, payload: dict[str, Any], *, depth: int = 0
) -> AgentResult:
    """Run one agent action for ``user_id``; never raises for an agent's failure."""
    agent = get_agent(agent_id)
    if agent is None:
        return AgentResult(False, {}, error=f"agent {agent_id} not found")
    if action not in agent.actions:
        return AgentResult(False, {}, error=f"agent {agent_id} has no action {action!r}")
    context, soul = _context(user_id, agent_id, _query(action, payload))
    task_payload = dict(payload)
    if soul is not None:
        task_payload.setdefault("soul", soul)
    try:
        result = agent.execute(AgentTask(user_id, action, task_payload, context))
    except Exception as exc:  # a third-party agent that breaks its contract
        log.exception("agent %s raised on %s", agent_id, action)
        result = AgentResult(False, {}, error=f"agent {agent_id} failed: {type(exc).__name__}")
    result = evolve_agent_result(user_id, agent_id, action, payload, result, depth=depth + 1)
    with get_database().transaction() as tx:
        _remember(
            tx,
            user_id,
            agent_id,
            action,
            _summary(payload),
            _summary(result.output if result.success else {"error": result.error}),
            "success" if result.success else "failure",
            {"source": "workflow", "calls": result.usage.calls},
        )
        if result.success and agent_id == CONTENT_AGENT:
            outbox.record(
                tx,
                user_id,
                "content.generated",
                {
                    "agentId": agent_id,
                    "action": action,
                    "title": result.output.get("title"),
                    "content": str(result.output.get("content", ""))[:EVENT_CONTENT_CHARS],
                },
                depth=depth + 1,
            )
        elif not result.success:
            outbox.record(
                tx,
                user_id,
                "agent.error",
                {"agentId": agent_id, "action": action, "error": result.error},
                depth=depth + 1,
            )
    return result


def _query(action: str, payload: dict[str, Any]) -> str:
    text = " ".join(str(v) for v in payload.values() if isinstance(v, str | int | float))
    return f"{action} {text}"[:500]


def _summary(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text[:SUMMARY_CHARS]


def _context(user_id: str, agent_id: str, query: str) -> tuple[str, dict[str, Any] | None]:
    """The memory context for a task: the Digital Soul and this agent's recent
    interactions with the user. Replaced by ``shared.memory.context.build_context``."""
    with get_database().transaction() as tx:
        soul_row = tx.one(
            "SELECT version, semantic_fingerprint, exemplars FROM digital_souls "
            "WHERE user_id = %s AND is_current",
            (user_id,),
        )
        recent = tx.all(
            "SELECT interaction_type, output_summary, outcome FROM episodic_memories "
            "WHERE user_id = %s AND agent_id = %s AND archived_at IS NULL "
            "ORDER BY created_at DESC LIMIT 3",
            (user_id, agent_id),
        )
    soul = None
    lines = []
    if soul_row is not None:
        soul = dict(soul_row)
        lines.append("Digital Soul: " + json.dumps(soul_row["semantic_fingerprint"])[:1000])
    for row in recent:
        lines.append(
            f"Earlier {row['interaction_type']} ({row['outcome']}): "
            f"{(row['output_summary'] or '')[:300]}"
        )
    return "\n".join(lines), soul


def _remember(
    tx: Tx,
    user_id: str,
    agent_id: str,
    interaction_type: str,
    input_summary: str,
    output_summary: str,
    outcome: str,
    context: dict[str, Any],
) -> None:
    """Record the interaction. Replaced by ``shared.memory.episodic.record_interaction``."""
    tx.execute(
        "INSERT INTO episodic_memories (user_id, agent_id, interaction_type, input_summary, "
        "output_summary, outcome, context) VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb)",
        (
            user_id,
            agent_id,
            interaction_type,
            input_summary,
            output_summary,
            outcome,
            json.dumps(context),
        ),
    )
