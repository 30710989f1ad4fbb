"""Answers the OpenAPI document used to miss: each is produced for real and checked
against the operation's entry in the live document (status documented, body matching
its schema)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis

from shared import bootstrap
from shared.config import Settings
from shared.db import Database
from shared.events import outbox
from shared.events.dispatch import dispatch
from shared.events.envelope import Envelope
from tests.conftest import UserClient, test_settings

STEPS = [{"id": "gate", "type": "condition", "config": {"subject": {}, "conditions": {}}}]


@pytest.fixture(scope="module")
def settings(db_url: str) -> Settings:
    s = test_settings(
        db_url,
        MAX_WORKFLOWS_PER_USER=1,
        MAX_WEBHOOKS_PER_USER=1,
        MAX_SCHEDULED_TASKS_PER_USER=1,
        MAX_TRIGGERS_PER_USER=1,
        EVENT_CHAIN_PER_MINUTE=1,
        EVENT_BUS="off",
    )
    bootstrap.configure(s)
    return s


def conforms(api: Any, method: str, path: str, response: Any) -> None:
    """``response`` has a status the operation documents and a body its schema admits."""
    document = api.get("/api/openapi.json").get_json()
    documented = document["paths"][path][method.lower()]["responses"]
    assert str(response.status_code) in documented, (
        f"{method} {path} answered {response.status_code}, which it does not document"
    )
    schemathesis.openapi.from_dict(document)[path][method].validate_response(response)


def _workflow(user: UserClient) -> str:
    res = user.post("/api/workflow", json={"name": "capped", "steps": STEPS})
    assert res.status_code == 201, res.get_json()
    return str(res.get_json()["workflow"]["id"])


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/events/triggers", {"eventType": "post.published"}),
        ("/api/events/trigger/create", {"eventType": "post.published"}),
        ("/api/scheduler/tasks", {"name": "daily", "cronExpression": "0 9 * * *"}),
    ],
)
def test_one_more_than_the_cap_is_a_documented_409(api: Any, path: str, body: Any) -> None:
    user = UserClient(api, f"capped{abs(hash(path)) % 10_000}")
    workflow = _workflow(user)
    first = user.post(path, json={**body, "workflowId": workflow})
    assert first.status_code == 201, first.get_json()
    second = user.post(path, json={**body, "workflowId": workflow})
    assert second.status_code == 409
    conforms(api, "POST", path, second)


def test_the_workflow_past_the_cap_is_a_documented_409(api: Any) -> None:
    user = UserClient(api, "capped-workflows")
    _workflow(user)
    second = user.post("/api/workflow", json={"name": "one too many", "steps": STEPS})
    assert second.status_code == 409
    conforms(api, "POST", "/api/workflow", second)


def test_the_webhook_past_the_cap_is_a_documented_409(api: Any) -> None:
    user = UserClient(api, "capped-webhooks")
    workflow = _workflow(user)
    assert user.post(f"/api/workflow/{workflow}/webhook").status_code == 201
    second = user.post(f"/api/workflow/{workflow}/webhook")
    assert second.status_code == 409
    conforms(api, "POST", "/api/workflow/{id}/webhook", second)


def test_a_disabled_evolver_answers_a_null_evolution_id_as_documented(api: Any) -> None:
    user = UserClient(api, "evolver-off")
    assert user.put("/api/evolver/settings/scribe_01", json={"enabled": False}).status_code == 200
    res = user.post("/api/oracle/evolve", json={"agentId": "scribe_01", "output": "a draft"})
    assert res.status_code == 200
    assert res.get_json()["evolutionId"] is None
    conforms(api, "POST", "/api/oracle/evolve", res)


def test_a_throttled_event_is_listed_as_documented(api: Any, db: Database) -> None:
    user = "wide-chain"
    for _ in range(2):
        with db.transaction() as tx:
            event_id = outbox.record(tx, user, "content.idea", {}, depth=1)
        dispatch(
            Envelope.model_validate(
                {
                    "eventId": event_id,
                    "eventType": "content.idea",
                    "userId": user,
                    "payload": {},
                    "depth": 1,
                    "occurredAt": "2026-11-27T09:00:00+00:00",
                }
            )
        )
    res = UserClient(api, user).get("/api/events/log")
    assert [e["dispatch_status"] for e in res.get_json()] == ["throttled", "dispatched"]
    conforms(api, "GET", "/api/events/log", res)
