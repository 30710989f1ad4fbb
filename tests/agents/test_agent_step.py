"""An agent step as the seed's executeAgentStep meant it: memory context in, the agent
run, an episodic memory recorded with its outcome, and the events it causes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.db import Database
from shared.workflows.agent_step import run_agent_step

FINGERPRINT = {"tone": "formal", "avoid": ["hustle"], "vocabulary": ["craft"]}


@pytest.fixture(scope="module", autouse=True)
def souls(db: Database) -> None:
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO digital_souls (user_id, version, semantic_fingerprint, exemplars, is_current)"
            " VALUES ('alice', 2, %s::jsonb, '[]'::jsonb, true),"
            " ('alice', 1, '{\"tone\": \"loud\"}'::jsonb, '[]'::jsonb, false)",
            (json.dumps(FINGERPRINT),),
        )


def _memories(db: Database, user: str) -> list[dict[str, Any]]:
    with db.transaction() as tx:
        return tx.all(
            "SELECT agent_id, interaction_type, input_summary, output_summary, outcome "
            "FROM episodic_memories WHERE user_id = %s ORDER BY created_at, id",
            (user,),
        )


def _events(db: Database, user: str, event_type: str) -> list[dict[str, Any]]:
    with db.transaction() as tx:
        return tx.all(
            "SELECT event_data, depth FROM usage_events WHERE user_id = %s AND event_type = %s "
            "ORDER BY created_at, id",
            (user, event_type),
        )


def test_a_successful_step_is_remembered_and_generated_content_is_announced(db: Database) -> None:
    result = run_agent_step("alice", "scribe_01", "generate", {"topic": "Studio light"}, depth=2)
    assert result.success
    memory = _memories(db, "alice")[-1]
    assert memory["agent_id"] == "scribe_01" and memory["interaction_type"] == "generate"
    assert memory["outcome"] == "success" and "Studio light" in memory["input_summary"]
    assert json.dumps(result.output["content"])[:40] in memory["output_summary"]
    event = _events(db, "alice", "content.generated")[-1]
    assert event["depth"] == 3
    assert event["event_data"]["agentId"] == "scribe_01"
    assert event["event_data"]["content"] == result.output["content"]


def test_brandguard_receives_the_users_current_soul(db: Database) -> None:
    result = run_agent_step(
        "alice", "brandguard_01", "check", {"content": "Pure hustle, no craft!"}
    )
    assert result.success and result.output["soulVersion"] == 2
    kinds = {i["kind"] for i in result.output["issues"]}
    assert kinds == {"avoid", "tone"}


def test_a_failed_step_is_remembered_as_a_failure_and_announced_as_an_agent_error(
    db: Database,
) -> None:
    result = run_agent_step("bob", "brandguard_01", "check", {"content": "no soul for bob"})
    assert not result.success
    memory = _memories(db, "bob")[-1]
    assert memory["outcome"] == "failure" and "no Digital Soul" in memory["output_summary"]
    (event,) = _events(db, "bob", "agent.error")
    assert event["event_data"]["agentId"] == "brandguard_01"
    assert "no Digital Soul" in event["event_data"]["error"]
    assert _events(db, "bob", "content.generated") == []


def test_the_memory_context_carries_earlier_interactions_of_that_agent(db: Database) -> None:
    run_agent_step("carol", "scryer_01", "analyze", {"material": "Signups grew strongly."})
    second = run_agent_step("carol", "oracle_core", "route", {"request": "write a post"})
    assert second.success
    assert [m["agent_id"] for m in _memories(db, "carol")] == ["scryer_01", "oracle_core"]


def test_an_unknown_agent_or_action_is_a_failed_result(db: Database) -> None:
    assert not run_agent_step("alice", "nobody_01", "x", {}).success
    assert "no action" in (run_agent_step("alice", "scribe_01", "fly", {}).error or "")
