"""The NEXUS agents through the real google-genai SDK against the fake Gemini server:
each turns a scripted model answer into its output, and a failing model becomes a
failed result, and a failed step of a run answered with 200, never an exception or a
5xx."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.db import Database
from shared.workflows.agent_step import run_agent_step
from tests.conftest import UserClient
from tests.support.fake_gemini import FakeGemini

FINGERPRINT = {"tone": "warm", "avoid": ["synergy"], "vocabulary": ["craft"]}


def give_soul(db: Database, user: str) -> None:
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO digital_souls (user_id, semantic_fingerprint, exemplars) "
            "VALUES (%s, %s::jsonb, '[\"Good craft shows.\"]'::jsonb)",
            (user, json.dumps(FINGERPRINT)),
        )


@pytest.fixture(scope="module", autouse=True)
def soul(db: Database) -> None:
    give_soul(db, "alice")


def prompt_of(fake: FakeGemini) -> str:
    """The agent's own prompt: the first generation (the Evolver's critique may follow)."""
    call = fake.of("generateContent")[0]
    return str(call.body["contents"][-1]["parts"][0]["text"])


def test_oracle_routes_as_the_model_says(db: Database, fake_gemini: FakeGemini) -> None:
    fake_gemini.configure()
    fake_gemini.script_json(
        {"agent_id": "scryer_01", "action": "analyze", "reason": "metrics", "confidence": 0.8}
    )
    result = run_agent_step("alice", "oracle_core", "route", {"request": "How did May go?"})
    assert result.success, result.error
    assert result.output == {
        "agentId": "scryer_01",
        "action": "analyze",
        "reason": "metrics",
        "confidence": 0.8,
    }
    prompt = prompt_of(fake_gemini)
    assert "How did May go?" in prompt and "- scribe_01 (generate, summarize, transform)" in prompt


def test_oracle_refuses_a_route_to_an_agent_that_does_not_exist(
    db: Database, fake_gemini: FakeGemini
) -> None:
    fake_gemini.configure()
    fake_gemini.script_json(
        {"agent_id": "ghost_01", "action": "haunt", "reason": "x", "confidence": 1}
    )
    result = run_agent_step("alice", "oracle_core", "route", {"request": "Boo"})
    assert not result.success
    assert "ghost_01.haunt, which does not exist" in (result.error or "")


def test_scribe_returns_the_models_draft(db: Database, fake_gemini: FakeGemini) -> None:
    fake_gemini.configure()
    fake_gemini.script_json(
        {"title": "On craft", "content": "Craft is care.", "notes": ["kept it short"]}
    )
    result = run_agent_step("alice", "scribe_01", "generate", {"topic": "craft", "format": "post"})
    assert result.success, result.error
    out = result.output
    assert (out["title"], out["content"], out["format"]) == ("On craft", "Craft is care.", "post")
    assert out["notes"] == ["kept it short"] and out["id"]
    assert "Never use: synergy" in prompt_of(fake_gemini)


def test_brandguard_scores_with_the_models_judgement(db: Database, fake_gemini: FakeGemini) -> None:
    fake_gemini.configure()
    fake_gemini.script_json(
        {
            "alignment_score": 0.42,
            "issues": [{"kind": "avoid", "message": "uses synergy", "excerpt": "synergy"}],
            "summary": "off brand",
        }
    )
    result = run_agent_step("alice", "brandguard_01", "check", {"content": "Pure synergy."})
    assert result.success, result.error
    out = result.output
    assert out["alignmentScore"] == 0.42 and out["aligned"] is False and out["threshold"] == 0.7
    assert out["issues"] == [{"kind": "avoid", "message": "uses synergy", "excerpt": "synergy"}]
    assert out["soulVersion"] == 1
    assert "Good craft shows." in prompt_of(fake_gemini)


def test_scryer_returns_the_models_analysis(db: Database, fake_gemini: FakeGemini) -> None:
    fake_gemini.configure()
    fake_gemini.script_json(
        {
            "summary": "Churn rose after the price change.",
            "key_points": ["churn up 3 points"],
            "themes": ["churn", "pricing"],
            "sentiment": "negative",
            "confidence": 0.9,
        }
    )
    result = run_agent_step("alice", "scryer_01", "analyze", {"material": "Churn 5% -> 8%."})
    assert result.success, result.error
    assert result.output == {
        "summary": "Churn rose after the price change.",
        "keyPoints": ["churn up 3 points"],
        "themes": ["churn", "pricing"],
        "sentiment": "negative",
        "confidence": 0.9,
    }
    assert "Churn 5% -> 8%." in prompt_of(fake_gemini)


def test_mnemosyne_stores_and_recalls_with_gemini_embeddings(
    db: Database, fake_gemini: FakeGemini
) -> None:
    settings = fake_gemini.configure()
    stored = run_agent_step(
        "mia", "mnemosyne_01", "store", {"type": "semantic", "content": "Ships on Mondays"}
    )
    assert stored.success, stored.error
    assert stored.output["memory"]["embedding_model"] == settings.embedding_model
    recalled = run_agent_step(
        "mia", "mnemosyne_01", "recall", {"query": "Ships on Mondays", "type": "semantic"}
    )
    assert recalled.success, recalled.error
    assert [m["content"] for m in recalled.output["memories"]] == ["Ships on Mondays"]
    embedded = [
        r["content"]["parts"][0]["text"]
        for call in fake_gemini.of("batchEmbedContents")
        for r in call.body["requests"]
    ]
    assert "Ships on Mondays" in embedded


def test_a_model_answer_that_is_not_json_even_after_a_repair_is_a_failed_result(
    db: Database, fake_gemini: FakeGemini
) -> None:
    fake_gemini.configure()
    fake_gemini.script_text("Sure! Here is your draft: it is great.", times=2)
    result = run_agent_step("alice", "scribe_01", "generate", {"topic": "craft"})
    assert not result.success and result.usage.calls == 2
    assert "the model failed (invalid_output)" in (result.error or "")


def test_a_failed_generation_is_remembered_as_a_failure(
    db: Database, fake_gemini: FakeGemini
) -> None:
    fake_gemini.configure(MODEL_MAX_ATTEMPTS=2)
    error = {"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}
    fake_gemini.script_reply(error, status=503, times=2)  # generation only; embeddings work
    result = run_agent_step("nico", "scryer_01", "analyze", {"material": "Sales flat."})
    assert not result.success and "(retryable)" in (result.error or "")
    assert len(fake_gemini.of("generateContent")) == 2
    with db.transaction() as tx:
        [memory] = tx.all(
            "SELECT outcome, output_summary, embedding IS NOT NULL AS embedded "
            "FROM episodic_memories WHERE user_id = 'nico'"
        )
    assert memory["outcome"] == "failure" and memory["embedded"]
    assert "overloaded" in memory["output_summary"]


STEPS: list[tuple[str, str, dict[str, Any]]] = [
    ("oracle_core", "route", {"request": "write a post"}),
    ("scribe_01", "generate", {"topic": "craft"}),
    ("brandguard_01", "check", {"content": "Craft."}),
    ("mnemosyne_01", "store", {"type": "semantic", "content": "Likes rye"}),
    ("scryer_01", "analyze", {"material": "Sales flat."}),
]


@pytest.mark.parametrize(("agent_id", "action", "config"), STEPS)
def test_a_model_outage_fails_the_runs_step_with_its_error_not_the_request(
    api: Any,
    db: Database,
    fake_gemini: FakeGemini,
    agent_id: str,
    action: str,
    config: dict[str, Any],
) -> None:
    user = UserClient(api, f"outage-{agent_id}")
    give_soul(db, user.user)
    step = {"id": "work", "type": "agent", "agentId": agent_id, "action": action, "config": config}
    created = user.post("/api/workflow", json={"name": agent_id, "steps": [step]})
    assert created.status_code == 201, created.get_json()
    fake_gemini.configure(MODEL_MAX_ATTEMPTS=2)
    fake_gemini.fail(503, times=50)
    res = user.post(f"/api/workflow/{created.get_json()['workflow']['id']}/run", json={})
    assert res.status_code == 200, res.get_json()
    run = res.get_json()["run"]
    assert run["status"] == "failed"
    [work] = run["step_results"]
    assert work["status"] == "failed"
    assert "injected fault" in work["error"] or "unavailable" in work["error"]
    with db.transaction() as tx:
        [event] = tx.all(
            "SELECT event_data FROM usage_events WHERE user_id = %s AND event_type = 'agent.error'",
            (user.user,),
        )
    assert event["event_data"]["error"] == work["error"]
