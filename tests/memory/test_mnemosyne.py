"""mnemosyne_01, the memory agent, called directly as the workflow engine would."""

from __future__ import annotations

import json

from shared.agents.base import AgentTask
from shared.agents.mnemosyne import AGENT
from shared.agents.registry import get_agent


def test_the_agent_is_registered_with_its_actions() -> None:
    agent = get_agent("mnemosyne_01")
    assert agent is AGENT
    assert agent.actions == frozenset({"store", "recall"})
    assert agent.description


def test_it_stores_then_recalls_for_the_tasks_user(user: str, other_user: str) -> None:
    stored = AGENT.execute(
        AgentTask(user, "store", {"type": "semantic", "content": "Sells sourdough on Saturdays"})
    )
    assert stored.success, stored.error
    assert stored.output["action"] == "created"
    assert stored.usage.calls == 1
    json.dumps(stored.output)  # plain JSON, ready for a step result
    recalled = AGENT.execute(AgentTask(user, "recall", {"query": "sourdough", "limit": 3}))
    assert recalled.success
    assert [m["id"] for m in recalled.output["memories"]] == [stored.output["memory"]["id"]]
    json.dumps(recalled.output)
    theirs = AGENT.execute(AgentTask(other_user, "recall", {"query": "sourdough"}))
    assert theirs.output == {"memories": []}


def test_a_bad_payload_is_a_failed_result_naming_the_field(user: str) -> None:
    result = AGENT.execute(AgentTask(user, "store", {"type": "semantic"}))
    assert not result.success
    assert result.error is not None and "content" in result.error
    result = AGENT.execute(AgentTask(user, "store", {"type": "procedural", "content": "x"}))
    assert not result.success and result.error is not None and "agentId" in result.error


def test_an_unknown_action_is_a_failed_result(user: str) -> None:
    result = AGENT.execute(AgentTask(user, "forget", {}))
    assert not result.success and result.error is not None and "forget" in result.error
