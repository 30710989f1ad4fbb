"""The triggers and event-log routes: contract shapes, tenancy and bad input."""

from __future__ import annotations

from typing import Any

import pytest

from shared.db import Database
from tests.conftest import UserClient
from tests.events.conftest import deliver, envelope_of
from tests.events.helpers import make_trigger, make_workflow
from tests.support.fake_pubsub import FakePubSub


def trigger_rows(db: Database) -> int:
    with db.transaction() as tx:
        return int(tx.scalar("SELECT count(*) FROM event_triggers"))


@pytest.mark.parametrize("path", ["/api/events/triggers", "/api/events/trigger/create"])
def test_a_trigger_is_created_under_both_paths(alice: UserClient, path: str) -> None:
    workflow = make_workflow(alice)
    res = alice.post(
        path,
        json={
            "eventType": "content.generated",
            "workflowId": workflow,
            "conditions": {"score": {"$gte": 0.8}},
            "name": "good drafts",
        },
    )
    assert res.status_code == 201
    body = res.get_json()
    assert body["success"] is True
    trigger = body["trigger"]
    assert trigger["event_type"] == "content.generated" and trigger["workflow_id"] == workflow
    assert trigger["conditions"] == {"score": {"$gte": 0.8}} and trigger["name"] == "good drafts"
    assert trigger["is_active"] is True and trigger["triggered_count"] == 0
    assert trigger["user_id"] == "alice"


def test_the_trigger_list_holds_only_the_users_own(alice: UserClient, bob: UserClient) -> None:
    mine = make_trigger(alice, "goal.created", make_workflow(alice))
    theirs = make_trigger(bob, "goal.created", make_workflow(bob))
    ids = [t["id"] for t in alice.get("/api/events/triggers").get_json()]
    assert mine in ids and theirs not in ids


def test_a_trigger_on_another_users_workflow_is_404_and_nothing_is_saved(
    db: Database, alice: UserClient, bob: UserClient
) -> None:
    bobs = make_workflow(bob)
    before = trigger_rows(db)
    res = alice.post("/api/events/triggers", json={"eventType": "goal.created", "workflowId": bobs})
    assert res.status_code == 404 and "workflow" in res.get_json()["error"]
    assert trigger_rows(db) == before


@pytest.mark.parametrize("workflow_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_a_trigger_on_a_missing_workflow_is_404(alice: UserClient, workflow_id: str) -> None:
    res = alice.post(
        "/api/events/triggers", json={"eventType": "goal.created", "workflowId": workflow_id}
    )
    assert res.status_code == 404


@pytest.mark.parametrize(
    ("conditions", "named"),
    [
        ({"score": {"$regex": "x"}}, "$regex"),
        ({"score": {"$in": "abc"}}, "$in"),
        ({"score": {"$gt": [1]}}, "$gt"),
        ({"score": {"$exists": "yes"}}, "$exists"),
        ([1, 2], "conditions"),
    ],
)
def test_bad_conditions_are_400_naming_the_problem_and_nothing_is_saved(
    db: Database, alice: UserClient, conditions: Any, named: str
) -> None:
    workflow = make_workflow(alice)
    before = trigger_rows(db)
    res = alice.post(
        "/api/events/triggers",
        json={"eventType": "goal.created", "workflowId": workflow, "conditions": conditions},
    )
    assert res.status_code == 400
    assert named in res.get_json()["error"]
    assert trigger_rows(db) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"workflowId": "x"}, "eventType"),
        ({"eventType": "goal.created"}, "workflowId"),
        ({"eventType": "NotAType", "workflowId": "x"}, "eventType"),
    ],
)
def test_a_trigger_without_valid_fields_is_refused_naming_the_field(
    alice: UserClient, body: dict[str, Any], field: str
) -> None:
    if body.get("workflowId") == "x":
        body = {**body, "workflowId": make_workflow(alice)}
    res = alice.post("/api/events/triggers", json=body)
    assert res.status_code in (400, 422)
    assert field in res.get_json()["error"]


def test_a_trigger_allows_recursion_when_created_or_changed_so(alice: UserClient) -> None:
    workflow = make_workflow(alice)
    res = alice.post(
        "/api/events/triggers",
        json={"eventType": "goal.created", "workflowId": workflow, "allowRecursion": True},
    )
    assert res.status_code == 201 and res.get_json()["trigger"]["allow_recursion"] is True
    trigger = make_trigger(alice, "goal.created", workflow)
    [listed] = [t for t in alice.get("/api/events/triggers").get_json() if t["id"] == trigger]
    assert listed["allow_recursion"] is False

    res = alice.put(f"/api/events/triggers/{trigger}", json={"allowRecursion": True})
    assert res.status_code == 200
    changed = res.get_json()["trigger"]
    assert changed["allow_recursion"] is True and changed["is_active"] is True
    [listed] = [t for t in alice.get("/api/events/triggers").get_json() if t["id"] == trigger]
    assert listed["allow_recursion"] is True


def test_a_trigger_is_changed_by_its_owner_only(alice: UserClient, bob: UserClient) -> None:
    trigger = make_trigger(alice, "goal.created", make_workflow(alice))
    assert bob.put(f"/api/events/triggers/{trigger}", json={"isActive": False}).status_code == 404
    res = alice.put(
        f"/api/events/triggers/{trigger}",
        json={"isActive": False, "name": "quiet", "conditions": {"n": {"$gt": 1}}},
    )
    assert res.status_code == 200
    changed = res.get_json()["trigger"]
    assert (changed["is_active"], changed["name"], changed["conditions"]) == (
        False,
        "quiet",
        {"n": {"$gt": 1}},
    )
    assert alice.put(f"/api/events/triggers/{trigger}", json={}).get_json()["trigger"] == changed


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"allowRecursion": "yes"}, "allowRecursion"),
        ({"allowRecursion": 1}, "allowRecursion"),
        ({"isActive": "no"}, "isActive"),
        ({"conditions": {"n": {"$near": 1}}}, "$near"),
        ({"eventType": "goal.updated"}, "eventType"),
    ],
)
def test_a_bad_trigger_change_is_refused_naming_it_and_changes_nothing(
    alice: UserClient, body: dict[str, Any], field: str
) -> None:
    trigger = make_trigger(alice, "goal.created", make_workflow(alice))
    before = [t for t in alice.get("/api/events/triggers").get_json() if t["id"] == trigger]
    res = alice.put(f"/api/events/triggers/{trigger}", json=body)
    assert res.status_code in (400, 422) and field in res.get_json()["error"]
    after = [t for t in alice.get("/api/events/triggers").get_json() if t["id"] == trigger]
    assert after == before


def test_a_trigger_refuses_a_non_boolean_allow_recursion(alice: UserClient) -> None:
    res = alice.post(
        "/api/events/triggers",
        json={
            "eventType": "goal.created",
            "workflowId": make_workflow(alice),
            "allowRecursion": "1",
        },
    )
    assert res.status_code in (400, 422) and "allowRecursion" in res.get_json()["error"]


def test_a_trigger_is_deleted_by_its_owner_only(
    db: Database, alice: UserClient, bob: UserClient
) -> None:
    trigger = make_trigger(alice, "goal.created", make_workflow(alice))
    assert bob.delete(f"/api/events/triggers/{trigger}").status_code == 404
    assert alice.delete("/api/events/triggers/not-a-uuid").status_code == 404
    assert trigger in [t["id"] for t in alice.get("/api/events/triggers").get_json()]
    res = alice.delete(f"/api/events/triggers/{trigger}")
    assert res.status_code == 200 and res.get_json() == {"success": True}
    assert trigger not in [t["id"] for t in alice.get("/api/events/triggers").get_json()]
    assert alice.delete(f"/api/events/triggers/{trigger}").status_code == 404


def test_a_published_event_is_recorded_published_and_answered_202(
    alice: UserClient, published: FakePubSub
) -> None:
    res = alice.post("/api/events", json={"eventType": "video.completed", "payload": {"v": 1}})
    assert res.status_code == 202
    body = res.get_json()
    assert body["success"] is True
    [message] = published.publisher.take()
    assert envelope_of(message)["eventId"] == body["eventId"]
    assert envelope_of(message)["userId"] == "alice"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "eventType"),
        ({"eventType": "bad type"}, "eventType"),
        ({"eventType": "video.completed", "payload": [1]}, "payload"),
        ({"eventType": "video.completed", "payload": "x"}, "payload"),
        ({"eventType": "video.completed", "payload": {"t": "a\u0000"}}, "payload"),
    ],
)
def test_a_bad_event_is_refused_naming_the_field_and_nothing_is_published(
    alice: UserClient, published: FakePubSub, body: dict[str, Any], field: str
) -> None:
    res = alice.post("/api/events", json=body)
    assert res.status_code in (400, 422)
    assert field in res.get_json()["error"]
    assert published.publisher.take() == []


def test_the_log_shows_the_users_events_newest_first_with_the_runs_they_started(
    alice: UserClient, bob: UserClient, dispatch_client: Any, published: FakePubSub
) -> None:
    workflow = make_workflow(alice)
    trigger = make_trigger(alice, "log.shown", workflow)
    first = alice.post("/api/events", json={"eventType": "log.shown", "payload": {"n": 1}})
    second = alice.post("/api/events", json={"eventType": "log.other"})
    bob.post("/api/events", json={"eventType": "log.shown"})
    for message in published.publisher.take():
        assert deliver(dispatch_client, message).status_code == 200

    log = alice.get("/api/events/log").get_json()
    ids = [e["id"] for e in log]
    assert ids.index(second.get_json()["eventId"]) < ids.index(first.get_json()["eventId"])
    assert all(
        e["event_type"] != "log.shown" or e["id"] == first.get_json()["eventId"] for e in log
    )
    shown = alice.get("/api/events/log?eventType=log.shown").get_json()
    assert [e["id"] for e in shown] == [first.get_json()["eventId"]]
    [event] = shown
    assert event["dispatch_status"] == "dispatched" and event["event_data"] == {"n": 1}
    [run] = event["runs"]
    assert run["workflow_id"] == workflow and run["status"] == "succeeded"
    assert event["triggered"][0]["triggerId"] == trigger
    assert event["triggered"][0]["runId"] == run["id"]


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=many", "eventType=Bad"])
def test_a_bad_log_query_is_refused(alice: UserClient, query: str) -> None:
    res = alice.get(f"/api/events/log?{query}")
    assert res.status_code in (400, 422)
    assert query.split("=")[0] in res.get_json()["error"]


def test_the_log_limit_is_respected(alice: UserClient) -> None:
    for _ in range(3):
        alice.post("/api/events", json={"eventType": "log.limited"})
    assert len(alice.get("/api/events/log?eventType=log.limited&limit=2").get_json()) == 2
