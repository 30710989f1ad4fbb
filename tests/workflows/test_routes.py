"""The workflow routes: CRUD, runs, webhooks, and tenancy (another user's workflow,
run or webhook is 404 and nothing changes); malformed ids are 404 too."""

from __future__ import annotations

from typing import Any

import pytest

from shared.db import Database
from tests.conftest import UserClient

EMIT = {"id": "e", "type": "emit", "config": {"eventType": "content.published", "payload": {}}}
ECHO = {
    "id": "echo",
    "type": "emit",
    "config": {"eventType": "hook.received", "payload": {"got": "{{trigger.order}}"}},
}


def _create(client: UserClient, name: str = "w", steps: list[Any] | None = None) -> dict[str, Any]:
    res = client.post("/api/workflow", json={"name": name, "steps": steps or [EMIT]})
    assert res.status_code == 201
    return dict(res.get_json()["workflow"])


def test_a_workflow_is_created_listed_read_changed_and_deleted(alice: UserClient) -> None:
    wf = _create(alice, "first")
    assert wf["user_id"] == "alice" and wf["name"] == "first" and wf["description"] is None
    assert any(w["id"] == wf["id"] for w in alice.get("/api/workflows").get_json())
    res = alice.put(
        f"/api/workflow/{wf['id']}", json={"name": "renamed", "isActive": False, "description": "d"}
    )
    assert res.status_code == 200 and res.get_json()["success"] is True
    changed = res.get_json()["workflow"]
    assert (changed["name"], changed["is_active"], changed["description"]) == (
        "renamed",
        False,
        "d",
    )
    assert changed["steps"] == [EMIT]
    cleared = alice.put(f"/api/workflow/{wf['id']}", json={"description": None}).get_json()
    assert cleared["workflow"]["description"] is None
    assert alice.delete(f"/api/workflow/{wf['id']}").get_json() == {"success": True}
    assert alice.get(f"/api/workflow/{wf['id']}").status_code == 404


def test_a_null_name_is_refused_on_update(alice: UserClient) -> None:
    wf = _create(alice)
    res = alice.put(f"/api/workflow/{wf['id']}", json={"name": None})
    assert res.status_code == 422 and "name" in res.get_json()["error"]


def test_a_workflow_is_read_with_its_recent_runs(alice: UserClient) -> None:
    wf = _create(alice)
    run = alice.post(f"/api/workflow/{wf['id']}/run", json={}).get_json()["run"]
    body = alice.get(f"/api/workflow/{wf['id']}").get_json()
    assert [r["id"] for r in body["runs"]] == [run["id"]]
    assert body["runs"][0]["step_results"][0]["status"] == "succeeded"


def test_a_manual_run_with_an_idempotency_key_header_runs_once(alice: UserClient) -> None:
    wf = _create(alice)
    headers = {"Idempotency-Key": "click-1"}
    first = alice.post(f"/api/workflow/{wf['id']}/run", json={}, headers=headers).get_json()
    again = alice.post(f"/api/workflow/{wf['id']}/run", json={}, headers=headers).get_json()
    assert first["run"]["id"] == again["run"]["id"]
    assert len(alice.get(f"/api/workflow/{wf['id']}").get_json()["runs"]) == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/workflow/{id}"),
        ("PUT", "/api/workflow/{id}"),
        ("DELETE", "/api/workflow/{id}"),
        ("POST", "/api/workflow/{id}/run"),
        ("POST", "/api/workflow/{id}/webhook"),
        ("DELETE", "/api/workflow/{id}/webhook/{webhook}"),
        ("GET", "/api/workflow/run/{run}"),
    ],
)
def test_another_users_objects_are_not_found_and_unchanged(
    alice: UserClient, bob: UserClient, db: Database, method: str, path: str
) -> None:
    wf = _create(alice, "private")
    run = alice.post(f"/api/workflow/{wf['id']}/run", json={}).get_json()["run"]
    hook = alice.post(f"/api/workflow/{wf['id']}/webhook").get_json()["webhook"]
    url = path.format(id=wf["id"], run=run["id"], webhook=hook["id"])
    res = bob._call(method, url, json={"name": "mine now", "steps": []})
    assert res.status_code == 404
    assert alice.get(f"/api/workflow/{wf['id']}").get_json()["name"] == "private"
    assert all(w["id"] != wf["id"] for w in bob.get("/api/workflows").get_json())
    with db.transaction() as tx:
        assert tx.scalar("SELECT count(*) FROM workflow_runs WHERE user_id = 'bob'") == 0
        assert tx.scalar("SELECT count(*) FROM workflow_webhooks WHERE user_id = 'bob'") == 0
        assert (
            tx.scalar("SELECT revoked_at FROM workflow_webhooks WHERE id = %s", (hook["id"],))
            is None
        )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/workflow/nope"),
        ("PUT", "/api/workflow/123"),
        ("DELETE", "/api/workflow/x'--"),
        ("POST", "/api/workflow/nope/run"),
        ("GET", "/api/workflow/run/nope"),
        ("POST", "/api/workflow/nope/webhook"),
        ("DELETE", "/api/workflow/00000000-0000-0000-0000-000000000000/webhook/nope"),
    ],
)
def test_malformed_ids_are_not_found(alice: UserClient, method: str, path: str) -> None:
    res = alice._call(method, path, json={})
    assert res.status_code == 404 and "not found" in res.get_json()["error"]


def test_an_inbound_webhook_runs_the_workflow_with_the_body_as_trigger_data(
    alice: UserClient, api: Any, db: Database
) -> None:
    wf = _create(alice, "hooked", [ECHO])
    res = alice.post(f"/api/workflow/{wf['id']}/webhook")
    assert res.status_code == 201
    hook = res.get_json()["webhook"]
    assert hook["url"].endswith(f"/api/webhook/{hook['endpointKey']}")
    called = api.post(f"/api/webhook/{hook['endpointKey']}", json={"order": 42})
    assert called.status_code == 202 and called.get_json()["success"] is True
    run = alice.get(f"/api/workflow/run/{called.get_json()['runId']}").get_json()
    assert run["trigger_type"] == "webhook" and run["trigger_data"] == {"order": 42}
    assert run["step_results"][0]["output"]["eventType"] == "hook.received"
    with db.transaction() as tx:
        stored = tx.scalar("SELECT key_hash FROM workflow_webhooks WHERE id = %s", (hook["id"],))
    assert stored != hook["endpointKey"] and len(stored) == 64


def test_a_revoked_webhook_key_stops_working_at_once(alice: UserClient, api: Any) -> None:
    wf = _create(alice)
    hook = alice.post(f"/api/workflow/{wf['id']}/webhook").get_json()["webhook"]
    revoked = alice.delete(f"/api/workflow/{wf['id']}/webhook/{hook['id']}")
    assert revoked.get_json() == {"success": True}
    assert api.post(f"/api/webhook/{hook['endpointKey']}", json={}).status_code == 404
    listed = alice.get(f"/api/workflow/{wf['id']}").get_json()["webhooks"]
    assert listed[0]["id"] == hook["id"] and listed[0]["revoked_at"] is not None


def test_an_unknown_webhook_key_is_not_found(api: Any) -> None:
    res = api.post("/api/webhook/not-a-key", json={"x": 1})
    assert res.status_code == 404


def test_a_webhook_with_a_repeated_idempotency_key_runs_once(alice: UserClient, api: Any) -> None:
    wf = _create(alice)
    hook = alice.post(f"/api/workflow/{wf['id']}/webhook").get_json()["webhook"]
    url = f"/api/webhook/{hook['endpointKey']}"
    first = api.post(url, json={}, headers={"Idempotency-Key": "delivery-7"}).get_json()
    again = api.post(url, json={}, headers={"Idempotency-Key": "delivery-7"}).get_json()
    assert first["runId"] == again["runId"]


def test_a_webhook_body_that_is_not_an_object_is_wrapped(alice: UserClient, api: Any) -> None:
    wf = _create(alice)
    hook = alice.post(f"/api/workflow/{wf['id']}/webhook").get_json()["webhook"]
    res = api.post(f"/api/webhook/{hook['endpointKey']}", json=[1, 2])
    run = alice.get(f"/api/workflow/run/{res.get_json()['runId']}").get_json()
    assert run["trigger_data"] == {"body": [1, 2]}


def test_a_webhook_body_that_is_not_json_is_refused(alice: UserClient, api: Any) -> None:
    wf = _create(alice)
    hook = alice.post(f"/api/workflow/{wf['id']}/webhook").get_json()["webhook"]
    res = api.post(f"/api/webhook/{hook['endpointKey']}", data="{not json")
    assert res.status_code == 400
    assert alice.get(f"/api/workflow/{wf['id']}").get_json()["runs"] == []


def test_routes_need_a_token(api: Any) -> None:
    assert api.get("/api/workflows").status_code == 401
    assert api.post("/api/workflow", json={"name": "x"}).status_code == 401
