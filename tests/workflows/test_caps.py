"""Per-user caps on created objects and on a workflow's emits (docs/reference/configuration.md, the MAX_*_PER_USER caps)."""

from __future__ import annotations

from typing import Any

import pytest

from shared import bootstrap
from shared.config import Settings
from shared.db import Database
from tests.conftest import UserClient, test_settings

STEP = [{"id": "s", "type": "condition", "config": {"conditions": {"x": 1}}}]


@pytest.fixture(scope="module")
def settings(db_url: str) -> Settings:
    s = test_settings(
        db_url,
        MAX_WORKFLOWS_PER_USER=3,
        MAX_TRIGGERS_PER_USER=2,
        MAX_WEBHOOKS_PER_USER=2,
        MAX_SCHEDULED_TASKS_PER_USER=2,
    )
    bootstrap.configure(s)
    return s


def workflow(client: UserClient) -> Any:
    return client.post("/api/workflow", json={"name": "w", "steps": STEP})


def count(db: Database, table: str, user: str) -> int:
    with db.transaction() as tx:
        return int(tx.scalar(f"SELECT count(*) FROM {table} WHERE user_id = %s", (user,)))


def test_workflows_past_the_cap_are_409_and_not_stored(db: Database, alice: UserClient) -> None:
    assert [workflow(alice).status_code for _ in range(3)] == [201, 201, 201]
    res = workflow(alice)
    assert res.status_code == 409 and "at most 3 workflows" in res.get_json()["error"]
    assert count(db, "workflows", "alice") == 3


def test_the_cap_is_per_user(bob: UserClient) -> None:
    assert workflow(bob).status_code == 201


def test_triggers_tasks_and_webhooks_are_capped_too(db: Database, bob: UserClient) -> None:
    wf = bob.get("/api/workflows").get_json()
    wf_id = (wf["workflows"] if isinstance(wf, dict) else wf)[0]["id"]
    trigger = {"eventType": "content.idea", "workflowId": wf_id}
    assert [bob.post("/api/events/triggers", json=trigger).status_code for _ in range(3)] == [
        201,
        201,
        409,
    ]
    task = {"name": "t", "workflowId": wf_id, "cronExpression": "0 9 * * *"}
    assert [bob.post("/api/scheduler/tasks", json=task).status_code for _ in range(3)] == [
        201,
        201,
        409,
    ]
    hooks = [bob.post(f"/api/workflow/{wf_id}/webhook") for _ in range(3)]
    assert [h.status_code for h in hooks] == [201, 201, 409]
    # a revoked webhook frees its place
    first = hooks[0].get_json()["webhook"]["id"]
    assert bob.delete(f"/api/workflow/{wf_id}/webhook/{first}").status_code == 200
    assert bob.post(f"/api/workflow/{wf_id}/webhook").status_code == 201


def test_a_workflow_with_too_many_emits_is_422(bob: UserClient) -> None:
    steps = [
        {"id": f"e{i}", "type": "emit", "config": {"eventType": "content.idea", "payload": {}}}
        for i in range(11)
    ]
    res = bob.post("/api/workflow", json={"name": "fan", "steps": steps})
    assert res.status_code == 422 and "emit" in res.get_json()["error"]
