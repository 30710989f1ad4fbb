"""Running workflows: every step recorded, conditions gate, failures isolated,
idempotency keys run a workflow once, inactive workflows are recorded as skipped."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from shared import bootstrap
from shared.config import Settings
from shared.db import Database
from shared.errors import Conflict, Invalid, NotFound
from shared.workflows.engine import execute_workflow
from tests.conftest import UserClient, test_settings
from tests.workflows.conftest import Endpoint


@pytest.fixture(scope="module")
def settings(db_url: str, endpoint: Endpoint) -> Settings:
    s = test_settings(db_url, HTTP_STEP_ALLOWLIST=f"127.0.0.1:{endpoint.port}")
    bootstrap.configure(s)
    return s


def _workflow(client: UserClient, steps: list[dict[str, Any]], **extra: Any) -> str:
    res = client.post("/api/workflow", json={"name": "w", "steps": steps, **extra})
    assert res.status_code == 201, res.get_json()
    return str(res.get_json()["workflow"]["id"])


def _emit(step_id: str, payload: Any) -> dict[str, Any]:
    return {
        "id": step_id,
        "type": "emit",
        "config": {"eventType": "content.published", "payload": payload},
    }


def _events(db: Database, user: str) -> list[dict[str, Any]]:
    with db.transaction() as tx:
        return tx.all(
            "SELECT event_type, event_data, depth FROM usage_events WHERE user_id = %s "
            "ORDER BY created_at, id",
            (user,),
        )


def test_a_run_records_each_steps_input_output_and_duration(
    alice: UserClient, endpoint: Endpoint, db: Database
) -> None:
    wid = _workflow(
        alice,
        [
            {
                "id": "call",
                "type": "http",
                "config": {"url": endpoint.url("/echo"), "body": {"topic": "{{input.topic}}"}},
            },
            _emit("announce", {"sent": "{{steps.call.output.body.body}}", "n": "{{input.n}}"}),
        ],
    )
    res = alice.post(f"/api/workflow/{wid}/run", json={"input": {"topic": "tides", "n": 2}})
    assert res.status_code == 200
    body = res.get_json()
    run = body["run"]
    assert body["success"] is True and run["status"] == "succeeded"
    assert run["trigger_type"] == "manual" and run["input"] == {"topic": "tides", "n": 2}
    call, announce = run["step_results"]
    assert call["status"] == "succeeded" and call["input"]["body"] == {"topic": "tides"}
    assert call["output"]["status"] == 200 and call["durationMs"] >= 0
    assert announce["input"]["payload"] == {"sent": '{"topic": "tides"}', "n": 2}
    assert announce["output"]["eventType"] == "content.published"
    assert alice.get(f"/api/workflow/run/{run['id']}").get_json() == run
    (event,) = _events(db, "alice")
    assert event["event_data"] == {"sent": '{"topic": "tides"}', "n": 2}


def test_emitted_events_are_one_deeper_than_what_triggered_the_run(
    alice: UserClient, db: Database
) -> None:
    wid = _workflow(alice, [_emit("e", {"from": "{{trigger.eventType}}"})])
    before = len(_events(db, "alice"))
    run = execute_workflow(wid, "alice", {"eventType": "goal.created"}, "event", depth=3)
    assert run["status"] == "succeeded" and run["trigger_type"] == "event"
    event = _events(db, "alice")[before]
    assert event["depth"] == 4 and event["event_data"] == {"from": "goal.created"}


def test_a_condition_that_does_not_hold_skips_the_remaining_steps(
    alice: UserClient, db: Database
) -> None:
    gate = {
        "id": "gate",
        "type": "condition",
        "config": {"subject": "{{trigger.payload}}", "conditions": {"score": {"$gte": 0.8}}},
    }
    wid = _workflow(alice, [gate, _emit("after", {}), _emit("last", {})])
    before = len(_events(db, "alice"))
    run = execute_workflow(wid, "alice", {"payload": {"score": 0.5}}, "event")
    assert run["status"] == "succeeded"
    gate_result, after, last = run["step_results"]
    assert gate_result["status"] == "succeeded" and gate_result["output"] == {"matched": False}
    assert after["status"] == "skipped" and last["status"] == "skipped"
    assert after["reason"] == "condition 'gate' did not hold"
    assert len(_events(db, "alice")) == before
    passed = execute_workflow(wid, "alice", {"payload": {"score": 0.9}}, "event")
    assert [s["status"] for s in passed["step_results"]] == ["succeeded"] * 3


def test_a_condition_without_a_subject_reads_trigger_input_and_steps(alice: UserClient) -> None:
    gate = {
        "id": "gate",
        "type": "condition",
        "config": {"conditions": {"trigger.kind": "video", "input.force": {"$ne": True}}},
    }
    wid = _workflow(alice, [gate])
    run = execute_workflow(wid, "alice", {"kind": "video"}, "scheduled")
    assert run["step_results"][0]["output"] == {"matched": True}


def test_a_failing_step_fails_its_run_and_skips_the_rest(
    alice: UserClient, endpoint: Endpoint
) -> None:
    wid = _workflow(
        alice,
        [
            {"id": "ok", "type": "http", "config": {"method": "GET", "url": endpoint.url("/a")}},
            # not retried: this is about the run failing (retries: test_retries_and_sleep.py)
            {
                "id": "boom",
                "type": "http",
                "retries": 0,
                "config": {"url": endpoint.url("/status?code=500")},
            },
            {"id": "never", "type": "http", "config": {"url": endpoint.url("/never")}},
        ],
    )
    res = alice.post(f"/api/workflow/{wid}/run", json={})
    body = res.get_json()
    assert res.status_code == 200 and body["success"] is False
    run = body["run"]
    assert run["status"] == "failed"
    assert run["error"] == "step 'boom' failed: 127.0.0.1 answered HTTP 500"
    ok, boom, never = run["step_results"]
    assert ok["status"] == "succeeded" and boom["status"] == "failed"
    assert boom["output"]["body"] == {"error": "nope"}
    assert never == {
        "id": "never",
        "type": "http",
        "status": "skipped",
        "reason": "step 'boom' failed",
    }
    assert not any(r["path"] == "/never" for r in endpoint.received)


def test_a_failed_run_does_not_affect_other_runs(alice: UserClient, endpoint: Endpoint) -> None:
    failing = _workflow(
        alice,
        [
            {
                "id": "boom",
                "type": "http",
                "retries": 0,  # failing at once: this is about the other runs
                "config": {"url": endpoint.url("/status?code=503")},
            }
        ],
    )
    healthy = _workflow(alice, [_emit("e", {})])
    assert execute_workflow(failing, "alice", {}, "manual")["status"] == "failed"
    assert execute_workflow(healthy, "alice", {}, "manual")["status"] == "succeeded"
    assert execute_workflow(failing, "alice", {}, "manual")["status"] == "failed"


def test_the_same_idempotency_key_twice_runs_once(alice: UserClient, db: Database) -> None:
    wid = _workflow(alice, [_emit("e", {"k": "seq"})])
    before = len(_events(db, "alice"))
    first = execute_workflow(wid, "alice", {}, "scheduled", idempotency_key="task:1:09:00")
    second = execute_workflow(wid, "alice", {}, "scheduled", idempotency_key="task:1:09:00")
    assert second["id"] == first["id"] and second["status"] == "succeeded"
    assert len(_events(db, "alice")) == before + 1
    other = execute_workflow(wid, "alice", {}, "scheduled", idempotency_key="task:1:10:00")
    assert other["id"] != first["id"]


def test_concurrent_calls_with_one_idempotency_key_run_once(
    alice: UserClient, db: Database
) -> None:
    wid = _workflow(alice, [_emit("e", {"k": "concurrent"})])
    barrier = threading.Barrier(4)
    run_ids: list[str] = []
    errors: list[BaseException] = []

    def fire() -> None:
        try:
            barrier.wait(5)
            run = execute_workflow(wid, "alice", {}, "event", idempotency_key="event:abc")
            run_ids.append(str(run["id"]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=fire) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and len(run_ids) == 4 and len(set(run_ids)) == 1
    with db.transaction() as tx:
        runs = tx.scalar(
            "SELECT count(*) FROM workflow_runs WHERE user_id = 'alice' AND idempotency_key = %s",
            ("event:abc",),
        )
        emitted = tx.scalar(
            "SELECT count(*) FROM usage_events WHERE user_id = 'alice' "
            "AND event_data->>'k' = 'concurrent'"
        )
    assert runs == 1 and emitted == 1


def test_an_idempotency_key_used_for_another_workflow_is_a_conflict(alice: UserClient) -> None:
    one = _workflow(alice, [])
    two = _workflow(alice, [])
    execute_workflow(one, "alice", {}, "event", idempotency_key="shared-key")
    with pytest.raises(Conflict):
        execute_workflow(two, "alice", {}, "event", idempotency_key="shared-key")


def test_an_idempotency_key_is_per_user(alice: UserClient, bob: UserClient) -> None:
    a = execute_workflow(_workflow(alice, []), "alice", {}, "event", idempotency_key="k1")
    b = execute_workflow(_workflow(bob, []), "bob", {}, "event", idempotency_key="k1")
    assert a["id"] != b["id"]


def test_an_inactive_workflow_is_recorded_as_skipped_and_not_run(
    alice: UserClient, db: Database
) -> None:
    wid = _workflow(alice, [_emit("e", {"k": "inactive"})], isActive=False)
    before = len(_events(db, "alice"))
    run = execute_workflow(wid, "alice", {}, "scheduled")
    assert run["status"] == "skipped" and run["error"] == "workflow is inactive"
    assert run["step_results"] == [] and run["finished_at"] is not None
    assert len(_events(db, "alice")) == before


def test_another_users_workflow_is_not_found(alice: UserClient) -> None:
    wid = _workflow(alice, [])
    with pytest.raises(NotFound):
        execute_workflow(wid, "bob", {}, "event")
    with pytest.raises(NotFound):
        execute_workflow("not-a-uuid", "alice", {}, "event")


def test_an_unknown_trigger_type_is_refused(alice: UserClient) -> None:
    with pytest.raises(Invalid):
        execute_workflow(_workflow(alice, []), "alice", {}, "cron")
