"""Durable runs: a run is checkpointed after each step and executed under a lease; a
run whose executor died is resumed at its first step without a committed result, by a
redelivery of what started it or by the per-minute job, and ends on its own merits."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from shared import bootstrap
from shared.config import Settings
from shared.db import Database
from shared.workflows import store
from shared.workflows.engine import execute_workflow, start
from tests.conftest import function_client, test_settings
from tests.workflows.conftest import Endpoint

EMIT = {"id": "first", "type": "emit", "config": {"eventType": "test.first", "payload": {}}}
GATE = {
    "id": "gate",
    "type": "condition",
    "config": {
        "subject": {"type": "{{steps.first.output.eventType}}"},
        "conditions": {"type": "test.first"},
    },
}


@pytest.fixture(scope="module")
def short_lease(db_url: str, settings: Settings) -> Iterator[Settings]:
    """Leases of 5 s, with the http step allowed to call the test's own server."""
    short = test_settings(db_url, WORKFLOW_RUN_LEASE_SECONDS=5, HTTP_STEP_ALLOWLIST="127.0.0.1")
    bootstrap.configure(short)
    yield short
    bootstrap.configure(settings)


def workflow(user: str, steps: list[dict[str, Any]]) -> str:
    return str(store.create(user, "durable", None, steps, True)["id"])


def interrupted_run(
    db: Database, user: str, workflow_id: str, committed: list[dict[str, Any]], key: str
) -> str:
    """A run as a process that died after committing ``committed`` leaves it: still
    ``running``, its lease expired, the steps it was started with on the row."""
    steps = store.get(user, workflow_id)["steps"]
    with db.transaction() as tx:
        return str(
            tx.scalar(
                "INSERT INTO workflow_runs (workflow_id, user_id, trigger_type, status, "
                "step_results, idempotency_key, definition, lease_owner, lease_until) "
                "VALUES (%s, %s, 'manual', 'running', %s::jsonb, %s, %s::jsonb, 'dead', "
                "now() - interval '1 second') RETURNING id",
                (workflow_id, user, json.dumps(committed), key, json.dumps(steps)),
            )
        )


def row(db: Database, run_id: str) -> dict[str, Any]:
    with db.transaction() as tx:
        found = tx.one(
            "SELECT status, step_results, error, executions, lease_owner FROM workflow_runs "
            "WHERE id = %s",
            (run_id,),
        )
    assert found is not None
    return found


def events_of(db: Database, user: str, event_type: str) -> int:
    with db.transaction() as tx:
        return int(
            tx.scalar(
                "SELECT count(*) FROM usage_events WHERE user_id = %s AND event_type = %s",
                (user, event_type),
            )
        )


def died_before_checkpoint(db: Database, run_id: str, steps: list[dict[str, Any]]) -> None:
    """The finished run as its process left it when it died after the step's effects
    committed but before the step's result did: running, nothing checkpointed."""
    with db.transaction() as tx:
        tx.execute(
            "UPDATE workflow_runs SET status = 'running', step_results = '[]'::jsonb, "
            "finished_at = NULL, definition = %s::jsonb, lease_until = now() - interval '1 s' "
            "WHERE id = %s",
            (json.dumps(steps), run_id),
        )


COMMITTED_FIRST = {
    "id": "first",
    "type": "emit",
    "status": "succeeded",
    "output": {"eventId": "00000000-0000-4000-8000-000000000001", "eventType": "test.first"},
    "startedAt": "2026-11-27T09:00:00+00:00",
    "durationMs": 1.0,
}


def test_the_minute_job_resumes_a_dead_run_at_its_first_uncommitted_step(db: Database) -> None:
    wid = workflow("u-resume", [EMIT, GATE])
    run_id = interrupted_run(db, "u-resume", wid, [COMMITTED_FIRST], "k-tick")

    res = function_client("schedule_fire").post("/", json={"tick": True})

    assert res.status_code == 200 and res.get_json()["runsResumed"] >= 1
    run = row(db, run_id)
    assert run["status"] == "succeeded" and run["executions"] == 2
    first, gate = run["step_results"]
    assert first == COMMITTED_FIRST  # kept as committed, not executed again
    assert events_of(db, "u-resume", "test.first") == 0
    assert gate["status"] == "succeeded" and gate["matched"] is True  # saw the saved output
    assert run["lease_owner"] is None


def test_a_redelivery_of_what_started_a_dead_run_resumes_it(db: Database) -> None:
    wid = workflow("u-redeliver", [EMIT, GATE])
    run_id = interrupted_run(db, "u-redeliver", wid, [COMMITTED_FIRST], "k-again")

    started = start(wid, "u-redeliver", {}, "manual", idempotency_key="k-again")

    assert started.executed and str(started.run["id"]) == run_id
    assert started.run["status"] == "succeeded"
    assert events_of(db, "u-redeliver", "test.first") == 0


def test_a_resumed_run_that_had_committed_nothing_runs_every_step_once(db: Database) -> None:
    wid = workflow("u-none", [EMIT, GATE])
    run_id = interrupted_run(db, "u-none", wid, [], "k-none")

    function_client("schedule_fire").post("/", json={"tick": True})
    function_client("schedule_fire").post("/", json={"tick": True})

    assert row(db, run_id)["status"] == "succeeded"
    assert events_of(db, "u-none", "test.first") == 1


def test_a_run_with_a_live_lease_is_left_to_its_executor(db: Database) -> None:
    wid = workflow("u-live", [EMIT])
    run_id = interrupted_run(db, "u-live", wid, [], "k-live")
    with db.transaction() as tx:
        tx.execute(
            "UPDATE workflow_runs SET lease_until = now() + interval '1 hour' WHERE id = %s",
            (run_id,),
        )

    started = start(wid, "u-live", {}, "manual", idempotency_key="k-live")
    function_client("schedule_fire").post("/", json={"tick": True})

    assert not started.executed and started.run["status"] == "running"
    assert row(db, run_id)["status"] == "running"
    assert events_of(db, "u-live", "test.first") == 0


def test_a_re_executed_emit_step_records_the_same_event_once(db: Database) -> None:
    """The process died after the emit committed its event but before the step's
    result was checkpointed: the step runs again and records nothing new."""
    wid = workflow("u-emit", [EMIT])
    first = execute_workflow(wid, "u-emit", {}, "manual")
    event_id = first["step_results"][0]["output"]["eventId"]
    died_before_checkpoint(db, str(first["id"]), [EMIT])

    function_client("schedule_fire").post("/", json={"tick": True})

    again = row(db, str(first["id"]))
    assert again["status"] == "succeeded"
    assert again["step_results"][0]["output"]["eventId"] == event_id
    assert events_of(db, "u-emit", "test.first") == 1


def test_a_re_executed_agent_step_remembers_and_announces_once(db: Database) -> None:
    """The process died after the agent step committed its memory and its event but
    before the step's result was checkpointed: the step runs again and adds neither."""
    draft = {
        "id": "draft",
        "type": "agent",
        "agentId": "scribe_01",
        "action": "generate",
        "config": {"topic": "Window light"},
    }
    wid = workflow("u-agent", [draft])
    first = execute_workflow(wid, "u-agent", {}, "manual")
    assert first["status"] == "succeeded"
    died_before_checkpoint(db, str(first["id"]), [draft])

    function_client("schedule_fire").post("/", json={"tick": True})

    again = row(db, str(first["id"]))
    assert again["status"] == "succeeded" and again["executions"] == 2
    assert events_of(db, "u-agent", "content.generated") == 1
    with db.transaction() as tx:
        keys = tx.all(
            "SELECT context->>'effectKey' AS key FROM episodic_memories "
            "WHERE user_id = 'u-agent' AND interaction_type = 'generate'"
        )
    assert [k["key"] for k in keys] == [f"{first['id']}:draft"]


def test_a_long_step_keeps_its_lease_so_a_concurrent_delivery_runs_nothing(
    db: Database, short_lease: Settings, endpoint: Endpoint
) -> None:
    hold = {"id": "slow", "type": "http", "config": {"url": endpoint.url("/hold")}}
    wid = workflow("u-long", [hold])
    endpoint.release.clear()
    before = len([r for r in endpoint.received if r["path"] == "/hold"])
    outcome: dict[str, Any] = {}
    runner = threading.Thread(
        target=lambda: outcome.update(
            run=execute_workflow(wid, "u-long", {}, "manual", idempotency_key="k-long")
        )
    )
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while len([r for r in endpoint.received if r["path"] == "/hold"]) == before:
            assert time.monotonic() < deadline, "the step never called out"
            time.sleep(0.05)
        time.sleep(7)  # past one lease: only renewal keeps it
        again = start(wid, "u-long", {}, "manual", idempotency_key="k-long")
        function_client("schedule_fire").post("/", json={"tick": True})
    finally:
        endpoint.release.set()
        runner.join(15)
    assert not again.executed and again.run["status"] == "running"
    assert outcome["run"]["status"] == "succeeded"
    assert len([r for r in endpoint.received if r["path"] == "/hold"]) == before + 1
