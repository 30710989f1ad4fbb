"""An agent step as the seed's executeAgentStep meant it: memory context in (the memory
capability's, soul first), the agent run, an episodic memory recorded with its outcome
through the memory store (embedded and de-duplicated), and the events it causes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.db import Database
from shared.workflows.agent_step import run_agent_step
from tests.support.fake_gemini import FakeGemini

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


def test_the_agent_is_given_the_soul_first_memory_context(
    db: Database, fake_gemini: FakeGemini
) -> None:
    fake_gemini.configure()
    fake_gemini.script_json({"title": "Light", "content": "On light.", "notes": []})
    result = run_agent_step("alice", "scribe_01", "generate", {"topic": "Window light"})
    assert result.success, result.error
    call = fake_gemini.of("generateContent")[0]  # the agent's; the Evolver's critique follows
    prompt = call.body["contents"][-1]["parts"][0]["text"]
    context = prompt.split("What is known about this user (from memory):\n", 1)[1]
    assert context.startswith("## Voice (Digital Soul v2)\ntone: formal")
    assert "avoid: hustle" in context


def test_a_repeated_interaction_is_one_embedded_memory_seen_twice(db: Database) -> None:
    for _ in range(2):
        assert run_agent_step("dora", "scribe_01", "generate", {"topic": "Kiln notes"}).success
    with db.transaction() as tx:
        rows = tx.all(
            "SELECT seen_count, embedding IS NOT NULL AS embedded, embedding_model, content "
            "FROM episodic_memories WHERE user_id = 'dora' AND interaction_type = 'generate'"
        )
    [row] = rows
    assert row["seen_count"] == 2 and row["embedded"] and row["embedding_model"]
    assert row["content"].startswith("generate:") and row["content"].endswith("[success]")


def test_the_memory_stored_event_is_one_deeper_than_the_run(db: Database) -> None:
    run_agent_step("erin", "scryer_01", "analyze", {"material": "Churn fell."}, depth=4)
    [stored] = _events(db, "erin", "memory.stored")
    assert stored["depth"] == 5
    assert stored["event_data"]["type"] == "episodic"
    assert stored["event_data"]["agentId"] == "scryer_01"
