"""An agent step, as the seed's ``executeAgentStep`` meant it: context built from the
user's memory, the agent executed, the interaction remembered as an episodic memory
with outcome success or failure, and the events it causes recorded.

The context is ``shared.memory.context.build_context`` (the Digital Soul first, then
relevant facts, recent interactions and the agent's procedures, within a budget); the
interaction is ``shared.memory.episodic.record_interaction`` (embedded, de-duplicated,
announced as ``memory.stored`` one event deeper than the run, so a trigger on it
cannot loop without limit). A memory that cannot be embedded because the model is
down is logged and skipped: it must not turn the agent's answer into a failure.

A workflow passes the step's effect key (run id and step id): the interaction records
it, and the events it causes take ids derived from it, so a step executed again after
its process died (the interaction committed, the step's result not yet) adds no
second memory and no second event."""

from __future__ import annotations

import json
import uuid
from typing import Any

from shared import storable
from shared.agents.base import AgentResult, AgentTask
from shared.agents.registry import get_agent
from shared.db import Tx, get_database
from shared.events import outbox
from shared.evolver.agent_output import evolve_agent_result
from shared.logs import get
from shared.memory.context import build_context
from shared.memory.episodic import record_interaction
from shared.model.port import ModelFailure

log = get(__name__)

SUMMARY_CHARS = 1000
EVENT_CONTENT_CHARS = 4000
CONTENT_AGENT = "scribe_01"
CONTEXT_CHARS = 4000  # the memory context's budget in an agent's prompt
_CAUSED = uuid.UUID("5e6f0c1e-2b7a-4c1d-9a43-8d0f3b6a7e21")  # namespace of caused event ids


def run_agent_step(
    user_id: str,
    agent_id: str,
    action: str,
    payload: dict[str, Any],
    *,
    depth: int = 0,
    will_retry: bool = False,
    effect_key: str | None = None,
) -> AgentResult:
    """Run one agent action for ``user_id``; never raises for an agent's failure.
    ``will_retry``: the caller attempts the step again after a retryable failure; such
    a failure is remembered, but announced as ``agent.error`` only by the last attempt."""
    result = call_agent(user_id, agent_id, action, payload)  # storable before it is evolved
    evolved = evolve_agent_result(user_id, agent_id, action, payload, result, depth=depth + 1)
    result = _storable(agent_id, evolved)
    keyed = {"effectKey": effect_key} if effect_key is not None else {}
    outcome = "success" if result.success else "failure"
    with get_database().transaction() as tx:
        if not (effect_key is not None and _remembered(tx, user_id, effect_key, outcome)):
            _remember(
                tx,
                user_id,
                agent_id,
                action,
                _summary(payload),
                _summary(_remembered_output(result)),
                outcome,
                {"source": "workflow", "calls": result.usage.calls, **_output_id(result), **keyed},
                depth=depth + 1,
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
                event_id=_caused(effect_key, "content.generated"),
            )
        elif not result.success and not (will_retry and result.retryable):
            outbox.record(
                tx,
                user_id,
                "agent.error",
                {"agentId": agent_id, "action": action, "error": result.error},
                depth=depth + 1,
                event_id=_caused(effect_key, "agent.error"),
            )
    return result


def call_agent(user_id: str, agent_id: str, action: str, payload: dict[str, Any]) -> AgentResult:
    """The agent's answer to one action, with the user's memory as its context (the
    Digital Soul in the payload too); never raises, and an answer that cannot be stored
    is a failure saying why."""
    agent = get_agent(agent_id)
    if agent is None:
        return AgentResult(False, {}, error=f"agent {agent_id} not found")
    if action not in agent.actions:
        return AgentResult(False, {}, error=f"agent {agent_id} has no action {action!r}")
    memory = build_context(user_id, agent_id, _query(action, payload), budget_chars=CONTEXT_CHARS)
    task_payload = dict(payload)
    if memory.soul is not None:
        task_payload.setdefault("soul", _soul(memory.soul))
    try:
        answer = agent.execute(AgentTask(user_id, action, task_payload, memory.text))
    except Exception as exc:  # a third-party agent that breaks its contract
        log.exception("agent %s raised on %s", agent_id, action)
        answer = AgentResult(False, {}, error=f"agent {agent_id} failed: {type(exc).__name__}")
    return _storable(agent_id, answer)


def _remembered(tx: Tx, user_id: str, effect_key: str, outcome: str) -> bool:
    """Whether an earlier execution of this step already remembered this outcome (a
    retry that succeeds after a failed attempt is still remembered)."""
    return bool(
        tx.scalar(
            "SELECT EXISTS (SELECT 1 FROM episodic_memories WHERE user_id = %s "
            "AND context ? 'effectKey' AND context->>'effectKey' = %s AND outcome = %s)",
            (user_id, effect_key, outcome),
        )
    )


def _caused(effect_key: str | None, event_type: str) -> str | None:
    """The id of an event the step causes: the same on every execution of the step."""
    if effect_key is None:
        return None
    return str(uuid.uuid5(_CAUSED, f"{effect_key}:{event_type}"))


def _storable(agent_id: str, result: AgentResult) -> AgentResult:
    """The result, or a failure saying why it cannot be kept: its output and error go
    into the run's record, the interaction's memory and the events it causes, and a
    model's answer may hold what PostgreSQL cannot store or nest without bound."""
    found = storable.problem(
        {"output": result.output, "error": result.error}, storable.Bounds.of(), name="answer"
    )
    if found is None:
        return result
    log.warning("agent %s answered what cannot be stored: %s", agent_id, found.message)
    error = f"agent {agent_id} answered what cannot be stored: {found.message}"
    return AgentResult(False, {}, error=error, usage=result.usage)


def _query(action: str, payload: dict[str, Any]) -> str:
    text = " ".join(str(v) for v in payload.values() if isinstance(v, str | int | float))
    return f"{action} {text}"[:500]


def _summary(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text[:SUMMARY_CHARS]


# Per-call bookkeeping in an output: its fresh id, and the Evolver's summary (kept in
# its own evolution record). Left out of the memory, so the same answer given again is
# the same memory (refreshed, not duplicated).
_VOLATILE = frozenset({"id", "evolution"})


def _remembered_output(result: AgentResult) -> dict[str, Any]:
    """What the memory keeps of the answer."""
    if not result.success:
        return {"error": result.error}
    return {k: v for k, v in result.output.items() if k not in _VOLATILE}


def _output_id(result: AgentResult) -> dict[str, Any]:
    output_id = result.output.get("id") if result.success else None
    return {"outputId": str(output_id)} if output_id is not None else {}


def _soul(row: dict[str, Any]) -> dict[str, Any]:
    """The soul as agents take it in their payload."""
    return {k: row[k] for k in ("version", "semantic_fingerprint", "exemplars")}


def _remember(
    tx: Tx,
    user_id: str,
    agent_id: str,
    interaction_type: str,
    input_summary: str,
    output_summary: str,
    outcome: str,
    context: dict[str, Any],
    *,
    depth: int,
) -> None:
    """Record the interaction in the run's transaction, beside the events it causes."""
    try:
        record_interaction(
            user_id,
            agent_id,
            interaction_type,
            input_summary,
            output_summary,
            outcome,
            context,
            tx=tx,
            depth=depth,
        )
    except ModelFailure as exc:
        log.warning(
            "interaction of %s not remembered: the model could not embed it (%s)",
            agent_id,
            exc.kind,
        )
