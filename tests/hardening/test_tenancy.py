"""Tenancy across the whole API: alice owns one object of every kind; bob probes every
route that reads, changes or runs a user's object with alice's ids. Each probe is 404
(or, for a route keyed by an agent name rather than an object, bob's own empty view)
and changes nothing of alice's. The probe table is keyed by route, and a test fails
when a route with a path parameter is added without a probe."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from shared.db import Database
from shared.web.app import api_app
from tests.conftest import UserClient, function_client
from tests.hardening.deliveries import deliver_event, fire_task, snapshot
from tests.hardening.objects import MARKER, Objects, fill, params_of, path_values, seed


@dataclass(frozen=True)
class Probe:
    body: dict[str, Any] | None = None
    # "missing": 404; "own": 200 with bob's own view (the path names an agent, which
    # nobody owns), holding nothing of alice's
    expect: Literal["missing", "own"] = "missing"
    query: dict[str, str] = field(default_factory=dict)


PROBES: dict[tuple[str, str], Probe] = {
    ("GET", "/api/workflow/<id>"): Probe(),
    ("PUT", "/api/workflow/<id>"): Probe({"name": "taken over"}),
    ("DELETE", "/api/workflow/<id>"): Probe(),
    ("POST", "/api/workflow/<id>/run"): Probe({"input": {"by": "bob"}}),
    ("POST", "/api/workflow/<id>/webhook"): Probe(),
    ("DELETE", "/api/workflow/<id>/webhook/<webhookId>"): Probe(),
    ("GET", "/api/workflow/run/<runId>"): Probe(),
    ("POST", "/api/workflow/run/<runId>/cancel"): Probe(),
    ("POST", "/api/workflow/run/<runId>/retry"): Probe(),
    ("GET", "/api/workflow/<id>/runs"): Probe(),
    ("PUT", "/api/events/triggers/<trigger_id>"): Probe(
        {"allowRecursion": True, "isActive": False}
    ),
    ("DELETE", "/api/events/triggers/<trigger_id>"): Probe(),
    ("PUT", "/api/reasoning/goal/<goalId>"): Probe({"status": "abandoned"}),
    ("POST", "/api/reasoning/goal/<goalId>/decompose"): Probe(),
    ("GET", "/api/improve/stats/<agentId>"): Probe(expect="own"),
    ("GET", "/api/improve/analyze/<agentId>"): Probe(expect="own"),
    ("GET", "/api/improve/improvements/<agentId>"): Probe(expect="own", query={"status": "all"}),
    ("POST", "/api/improve/improvements/<id>/accept"): Probe(),
    ("POST", "/api/improve/improvements/<id>/reject"): Probe(),
    ("GET", "/api/improve/experiment/<id>"): Probe(),
    ("POST", "/api/improve/experiment/<id>/stop"): Probe(),
    ("DELETE", "/api/treasury/thresholds/<threshold_id>"): Probe(),
    ("PUT", "/api/scheduler/<id>"): Probe({"name": "taken over"}),
    ("POST", "/api/scheduler/<id>/pause"): Probe(),
    ("POST", "/api/scheduler/<id>/resume"): Probe(),
    ("DELETE", "/api/scheduler/<id>"): Probe(),
    ("GET", "/api/scheduler/<id>/runs"): Probe(),
    ("GET", "/api/scheduler/<id>/upcoming"): Probe(),
    ("POST", "/api/scheduler/<id>/fire"): Probe(),
}

# probes of routes being built on other branches: they join PROBES once routed
PENDING: dict[tuple[str, str], Probe] = {
    ("GET", "/api/evolver/history/<evolutionId>"): Probe(),
    ("GET", "/api/evolver/settings/<agentId>"): Probe(expect="own"),
    ("PUT", "/api/evolver/settings/<agentId>"): Probe({"enabled": False}, expect="own"),
}

# routes with a path parameter that take no user token, and why no probe applies
EXEMPT = {
    ("POST", "/api/webhook/<endpointKey>"): "no user: the unguessable key is the credential",
}


def routes_with_params() -> set[tuple[str, str]]:
    return {(r.method, r.path) for r in api_app().routes if params_of(r.path)}


PROBES.update({k: v for k, v in PENDING.items() if k in routes_with_params()})


def list_routes() -> list[tuple[str, str]]:
    return sorted(
        (r.method, r.path)
        for r in api_app().routes
        if r.method == "GET" and r.auth and not params_of(r.path)
    )


@pytest.fixture(scope="module")
def owned(alice: UserClient) -> Objects:
    objects = seed(alice)
    ingest = alice.post(
        "/api/soul/ingest", json={"semanticFingerprint": {"tone": MARKER}, "exemplars": [MARKER]}
    )
    assert ingest.status_code == 200
    assert alice.post("/api/events", json={"eventType": "post.tenancy"}).status_code == 202
    return objects


def leaks(body: Any, objects: Objects) -> list[str]:
    text = json.dumps(body)
    return [s for s in [MARKER, *objects.ids()] if s in text]


def test_every_route_with_a_path_parameter_has_a_tenancy_probe() -> None:
    declared = set(PROBES) | set(EXEMPT)
    assert routes_with_params() - declared == set(), "add a probe to PROBES for these routes"
    assert declared - routes_with_params() == set(), "these probes name no route any more"


@pytest.mark.parametrize(("method", "path"), sorted(PROBES), ids=lambda v: str(v))
def test_another_users_object_is_404_and_nothing_changes(
    method: str, path: str, owned: Objects, bob: UserClient, db: Database
) -> None:
    probe = PROBES[(method, path)]
    url = fill(path, path_values(owned)[path])
    before = snapshot(db, except_user="bob")
    kwargs: dict[str, Any] = {"query_string": probe.query}
    if probe.body is not None:
        kwargs["json"] = probe.body
    res = bob.client.open(url, method=method, headers=_auth("bob"), **kwargs)
    if probe.expect == "missing":
        assert res.status_code == 404, (res.status_code, res.get_json())
        assert res.get_json()["error"]
    else:
        assert res.status_code == 200, res.get_json()
        assert leaks(res.get_json(), owned) == []
    assert snapshot(db, except_user="bob") == before


def _auth(user: str) -> dict[str, str]:
    from tests.conftest import auth

    return auth(user)


@pytest.mark.parametrize(("method", "path"), list_routes(), ids=lambda v: str(v))
def test_a_list_shows_none_of_another_users_objects(
    method: str, path: str, owned: Objects, alice: UserClient, bob: UserClient
) -> None:
    mine = alice.get(path)
    assert mine.status_code == 200, mine.get_json()
    res = bob.get(path)
    assert res.status_code == 200, res.get_json()
    assert leaks(res.get_json(), owned) == []


def test_the_list_check_can_see_what_it_looks_for(owned: Objects, alice: UserClient) -> None:
    """The leak check above would be blind if alice's own lists did not show her objects."""
    seen = {p: leaks(alice.get(p).get_json(), owned) for _, p in list_routes()}
    for path in (
        "/api/workflows",
        "/api/events/triggers",
        "/api/events/log",
        "/api/reasoning/goals",
        "/api/soul/retrieve",
        "/api/treasury/thresholds",
        "/api/scheduler/tasks",
    ):
        assert seen[path], f"{path} shows none of alice's objects to alice"


def test_recall_never_returns_another_users_memories(owned: Objects, bob: UserClient) -> None:
    res = bob.post("/api/memory/recall", json={"query": f"{MARKER} publishes every Tuesday"})
    assert res.status_code == 200
    assert res.get_json()["memories"] == []


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/events/triggers"), ("POST", "/api/events/trigger/create")],
)
def test_a_trigger_cannot_name_another_users_workflow(
    method: str, path: str, owned: Objects, bob: UserClient, db: Database
) -> None:
    before = snapshot(db)
    res = bob.post(path, json={"eventType": "post.tenancy", "workflowId": owned.workflow})
    assert res.status_code == 404
    assert snapshot(db) == before


def test_a_schedule_cannot_name_another_users_workflow(
    owned: Objects, bob: UserClient, db: Database
) -> None:
    before = snapshot(db, except_user="bob")
    res = bob.post(
        "/api/scheduler/tasks",
        json={"name": "mine", "workflowId": owned.workflow, "cronExpression": "0 9 * * *"},
    )
    assert res.status_code == 404
    bobs_flow = bob.post("/api/workflow", json={"name": "bob's", "steps": []}).get_json()
    task = bob.post(
        "/api/scheduler/tasks",
        json={
            "name": "mine",
            "workflowId": bobs_flow["workflow"]["id"],
            "cronExpression": "0 9 * * *",
        },
    ).get_json()["task"]
    moved = bob.put(f"/api/scheduler/{task['id']}", json={"workflowId": owned.workflow})
    assert moved.status_code == 404
    assert snapshot(db, except_user="bob") == before


def test_another_users_event_never_runs_alices_workflows(
    owned: Objects, bob: UserClient, db: Database
) -> None:
    dispatch = function_client("event_dispatch")
    res = bob.post("/api/events", json={"eventType": "post.tenancy", "payload": {"x": 1}})
    assert res.status_code == 202
    before = snapshot(db, except_user="bob")
    assert deliver_event(dispatch, db, res.get_json()["eventId"]).status_code == 200
    assert snapshot(db, except_user="bob") == before


def test_a_schedule_fire_runs_only_its_owners_workflow(
    owned: Objects, db: Database, alice: UserClient
) -> None:
    fire = function_client("schedule_fire")
    before = snapshot(db, except_user="alice")
    res = fire_task(fire, owned.task, "2026-11-30T09:00:00Z")
    assert res.status_code == 200, res.get_json()
    with db.transaction() as tx:
        owners = tx.all(
            "SELECT DISTINCT user_id FROM workflow_runs WHERE trigger_type = 'scheduled'"
        )
    assert owners == [{"user_id": "alice"}]
    assert snapshot(db, except_user="alice") == before


def test_goal_generation_reads_only_the_users_own_activity(
    owned: Objects, alice: UserClient, bob: UserClient, db: Database
) -> None:
    with db.transaction() as tx:
        tx.executemany(
            "INSERT INTO episodic_memories (user_id, agent_id, interaction_type, outcome, "
            "input_summary) VALUES (%s, %s, %s, %s, %s)",
            [("alice", "scribe_01", "generation", "success", MARKER)] * 6,
        )
    before = snapshot(db, except_user="bob")
    res = bob.post("/api/goals/auto-generate", json={})
    assert res.status_code == 200, res.get_json()
    assert leaks(res.get_json(), owned) == []
    assert snapshot(db, except_user="bob") == before
