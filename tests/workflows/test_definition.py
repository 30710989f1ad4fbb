"""Steps are checked when a workflow is saved: 422 naming the step, nothing stored."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import UserClient

HTTP = {"id": "notify", "type": "http", "config": {"url": "https://example.com/hook"}}
EMIT = {"id": "announce", "type": "emit", "config": {"eventType": "content.published"}}
GATE = {"id": "gate", "type": "condition", "config": {"conditions": {"score": {"$gte": 0.8}}}}


def _count(client: UserClient) -> int:
    return len(client.get("/api/workflows").get_json())


@pytest.mark.parametrize(
    ("steps", "named"),
    [
        ([{"id": "a", "type": "teleport"}], "step 'a' (#1): unknown step type 'teleport'"),
        ([{"id": "a", "type": "agent", "agentId": "nobody_01", "action": "x"}], "unknown agent"),
        ([HTTP, {**HTTP}], "step 'notify' (#2): duplicate step id"),
        (
            [{**EMIT, "config": {"eventType": "x", "payload": {}}}],
            "step 'announce' (#1): eventType",
        ),
        (
            [{**GATE, "config": {"conditions": {"score": {"$near": 1}}}}],
            "step 'gate' (#1): conditions: score: unknown operator '$near'",
        ),
        (
            [{**EMIT, "config": {"eventType": "a.b", "payload": {"x": "{{steps.later.output}}"}}}],
            "step 'announce' (#1): {{steps.later.output}} reads step 'later'",
        ),
        (
            [
                HTTP,
                {**EMIT, "config": {"eventType": "a.b", "payload": "{{steps.announce.output}}"}},
            ],
            "reads itself",
        ),
        ([{**HTTP, "config": {"url": "{{env.HOME}}"}}], "must start with trigger, input or steps"),
        ([{**HTTP, "config": {"url": "file:///etc/passwd"}}], "http or https"),
        ([{**HTTP, "config": {}}], "step 'notify' (#1): config.url: Field required"),
        ([{**HTTP, "extra": 1}], "extra: Extra inputs are not permitted"),
        ([{"id": "9bad", "type": "emit", "config": {"eventType": "a.b"}}], "id: String should"),
        (["not an object"], "step #1: must be an object"),
        ([HTTP] * 51, "at most 50 steps"),
    ],
)
def test_invalid_steps_are_refused_naming_the_step(
    alice: UserClient, steps: list[Any], named: str
) -> None:
    before = _count(alice)
    res = alice.post("/api/workflow", json={"name": "w", "steps": steps})
    assert res.status_code == 422, res.get_json()
    assert named in res.get_json()["error"]
    assert _count(alice) == before


def test_the_refusal_carries_the_step_id(alice: UserClient) -> None:
    res = alice.post("/api/workflow", json={"name": "w", "steps": [HTTP, {**HTTP}]})
    assert res.get_json()["step"] == "notify"
    assert res.get_json()["stepIndex"] == 1


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"steps": []}, "name"),
        ({"name": "", "steps": []}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "w", "description": "d" * 2001}, "description"),
        ({"name": "w", "isActive": "perhaps"}, "isActive"),
    ],
)
def test_bad_workflow_fields_are_refused_naming_the_field(
    alice: UserClient, body: dict[str, Any], named: str
) -> None:
    before = _count(alice)
    res = alice.post("/api/workflow", json=body)
    assert res.status_code == 422
    assert named in res.get_json()["error"]
    assert _count(alice) == before


def test_an_update_with_invalid_steps_changes_nothing(alice: UserClient) -> None:
    created = alice.post("/api/workflow", json={"name": "w", "steps": [HTTP]}).get_json()
    wid = created["workflow"]["id"]
    res = alice.put(f"/api/workflow/{wid}", json={"name": "renamed", "steps": [GATE, GATE]})
    assert res.status_code == 422
    assert "step 'gate' (#2): duplicate step id" in res.get_json()["error"]
    stored = alice.get(f"/api/workflow/{wid}").get_json()
    assert stored["name"] == "w" and stored["steps"] == [HTTP]


def test_a_valid_workflow_of_every_step_type_is_saved_as_sent(alice: UserClient) -> None:
    steps = [
        GATE,
        {**HTTP, "config": {**HTTP["config"], "body": {"text": "{{trigger.payload.title}}"}}},
        {
            **EMIT,
            "config": {"eventType": "content.published", "payload": "{{steps.notify.output}}"},
        },
    ]
    res = alice.post("/api/workflow", json={"name": "gated", "description": "d", "steps": steps})
    assert res.status_code == 201
    body = res.get_json()
    assert body["success"] is True
    assert body["workflow"]["steps"] == steps
    assert body["workflow"]["is_active"] is True
