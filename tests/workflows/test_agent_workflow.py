"""A workflow of several agent steps, a condition and an http step runs from the API
with every step recorded; agent actions are checked when the workflow is saved."""

from __future__ import annotations

import json

import pytest

from shared import bootstrap
from shared.config import Settings
from shared.db import Database
from tests.conftest import UserClient, test_settings
from tests.workflows.conftest import Endpoint


@pytest.fixture(scope="module")
def settings(db_url: str, endpoint: Endpoint) -> Settings:
    s = test_settings(db_url, HTTP_STEP_ALLOWLIST=f"127.0.0.1:{endpoint.port}")
    bootstrap.configure(s)
    return s


@pytest.fixture(scope="module", autouse=True)
def soul(db: Database) -> None:
    fingerprint = {"tone": "friendly", "avoid": ["synergy"], "vocabulary": ["light"]}
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO digital_souls (user_id, semantic_fingerprint) VALUES ('alice', %s::jsonb)",
            (json.dumps(fingerprint),),
        )


def pipeline(endpoint: Endpoint) -> list[dict[str, object]]:
    return [
        {"id": "plan", "type": "agent", "agentId": "oracle_core", "action": "route",
         "config": {"request": "{{input.request}}"}},
        {"id": "draft", "type": "agent", "agentId": "scribe_01", "action": "generate",
         "config": {"topic": "{{trigger.topic}} {{input.request}}", "format": "post"}},
        {"id": "review", "type": "agent", "agentId": "brandguard_01", "action": "check",
         "config": {"content": "{{steps.draft.output.content}}"}},
        {"id": "gate", "type": "condition",
         "config": {"subject": "{{steps.review.output}}", "conditions": {"aligned": True}}},
        {"id": "publish", "type": "http",
         "config": {"url": endpoint.url("/publish"),
                    "body": {"title": "{{steps.draft.output.title}}",
                             "score": "{{steps.review.output.alignmentScore}}"}}},
    ]  # fmt: skip


def test_a_pipeline_of_agents_a_condition_and_an_http_step_runs_with_every_step_recorded(
    alice: UserClient, endpoint: Endpoint
) -> None:
    res = alice.post("/api/workflow", json={"name": "publish", "steps": pipeline(endpoint)})
    assert res.status_code == 201, res.get_json()
    wid = res.get_json()["workflow"]["id"]
    ran = alice.post(f"/api/workflow/{wid}/run", json={"input": {"request": "write about light"}})
    body = ran.get_json()
    assert body["success"] is True, body
    steps = body["run"]["step_results"]
    assert [s["id"] for s in steps] == ["plan", "draft", "review", "gate", "publish"]
    assert all(s["status"] == "succeeded" for s in steps)
    assert steps[0]["output"]["agentId"] == "scribe_01"
    assert steps[2]["input"]["payload"]["content"] == steps[1]["output"]["content"]
    assert steps[3]["output"] == {"matched": True}
    sent = json.loads(endpoint.received[-1]["body"])
    assert sent == {"title": steps[1]["output"]["title"], "score": 1.0}


def test_an_off_brand_draft_stops_at_the_gate(alice: UserClient, endpoint: Endpoint) -> None:
    # The Evolver would remove the avoided word before the review: off for this test.
    assert alice.put("/api/evolver/settings/scribe_01", json={"enabled": False}).status_code == 200
    steps = pipeline(endpoint)
    steps[1]["config"] = {"topic": "synergy synergy synergy"}
    wid = alice.post("/api/workflow", json={"name": "gated", "steps": steps}).get_json()
    before = len(endpoint.received)
    run = alice.post(f"/api/workflow/{wid['workflow']['id']}/run", json={"input": {"request": "x"}})
    result = run.get_json()["run"]
    assert result["status"] == "succeeded"
    assert [s["status"] for s in result["step_results"]][-2:] == ["succeeded", "skipped"]
    assert result["step_results"][3]["output"] == {"matched": False}
    assert len(endpoint.received) == before


def test_a_failing_agent_step_fails_the_run_with_its_error(alice: UserClient) -> None:
    step = {"id": "trend", "type": "agent", "agentId": "scryer_01", "action": "trends",
            "config": {"series": "{{input.series}}"}}  # fmt: skip
    wid = alice.post("/api/workflow", json={"name": "t", "steps": [step]}).get_json()
    run = alice.post(f"/api/workflow/{wid['workflow']['id']}/run", json={"input": {}}).get_json()
    assert run["run"]["status"] == "failed"
    assert "series" in run["run"]["error"]


def test_an_unknown_action_of_a_known_agent_is_refused_when_saved(alice: UserClient) -> None:
    step = {"id": "x", "type": "agent", "agentId": "scribe_01", "action": "sing"}
    res = alice.post("/api/workflow", json={"name": "w", "steps": [step]})
    assert res.status_code == 422
    assert res.get_json()["error"] == (
        "step 'x' (#1): agent scribe_01 has no action 'sing' (actions: generate, summarize, transform)"
    )
