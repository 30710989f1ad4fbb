"""A run whose steps are all pure (condition steps) is executed inside the claim's
transaction: the event, the run and the trigger count are written by one committed
transaction, which the rows' ``xmin`` (the id of the transaction that wrote them) shows.
A workflow with any other step is started the usual way, its run recorded first."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest

from shared.db import Database, Row
from shared.workflows.ended import run_ended_listener
from tests.conftest import UserClient
from tests.events.conftest import deliver, message_for
from tests.events.helpers import event_row, make_trigger, make_workflow, runs_of, triggered_count
from tests.support.fake_pubsub import FakePubSub
from tests.support.together import at_once

ENDED: list[Row] = []
run_ended_listener(ENDED.append)  # hears every run that ends, as the fire history does

GATE_FAILS = {
    "id": "gate",
    "type": "condition",
    "config": {"subject": "{{trigger.payload}}", "conditions": {"never": {"$exists": True}}},
}


def writers(db: Database, event_id: str, workflow: str, trigger: str) -> set[str]:
    """The transactions that last wrote the event, its run and its trigger."""
    with db.transaction() as tx:
        return {
            str(tx.scalar("SELECT xmin::text FROM usage_events WHERE id = %s", (event_id,))),
            str(
                tx.scalar(
                    "SELECT xmin::text FROM workflow_runs WHERE workflow_id = %s", (workflow,)
                )
            ),
            str(tx.scalar("SELECT xmin::text FROM event_triggers WHERE id = %s", (trigger,))),
        }


def envelope(event_type: str) -> dict[str, Any]:
    return {
        "eventId": str(uuid.uuid4()),
        "eventType": event_type,
        "userId": "alice",
        "payload": {"n": 1},
        "depth": 0,
        "occurredAt": "2026-11-27T09:00:00Z",
    }


@pytest.mark.parametrize("recorded", [True, False], ids=["recorded", "published-elsewhere"])
def test_a_condition_only_run_commits_with_the_claim_in_one_transaction(
    db: Database,
    alice: UserClient,
    dispatch_client: Any,
    published: FakePubSub,
    recorded: bool,
) -> None:
    event_type = f"inline.{'recorded' if recorded else 'elsewhere'}"
    workflow = make_workflow(alice, [GATE_FAILS])
    trigger = make_trigger(alice, event_type, workflow)
    if recorded:
        res = alice.post("/api/events", json={"eventType": event_type, "payload": {"n": 1}})
        event_id = res.get_json()["eventId"]
        [message] = published.publisher.take()
    else:
        body = envelope(event_type)
        event_id, message = body["eventId"], message_for(body)

    assert deliver(dispatch_client, message).status_code == 200

    [run] = runs_of(db, workflow)
    assert run["status"] == "succeeded"
    assert [(s["id"], s["status"], s["matched"]) for s in run["step_results"]] == [
        ("gate", "succeeded", False)
    ]
    row = event_row(db, event_id)
    assert row["dispatch_status"] == "dispatched" and row["published_at"] is not None
    assert row["triggered"] == [
        {
            "triggerId": trigger,
            "workflowId": workflow,
            "runId": str(run["id"]),
            "status": "succeeded",
        }
    ]
    assert len(writers(db, event_id, workflow, trigger)) == 1
    assert deliver(dispatch_client, message).status_code == 200  # a duplicate
    assert len(runs_of(db, workflow)) == 1


def test_a_workflow_with_a_step_that_acts_records_its_run_before_executing_it(
    db: Database, alice: UserClient, dispatch_client: Any, published: FakePubSub
) -> None:
    emits = {"id": "say", "type": "emit", "config": {"eventType": "inline.said"}}
    workflow = make_workflow(alice, [GATE_FAILS | {"id": "first"}, emits])
    trigger = make_trigger(alice, "inline.acts", workflow)
    body = envelope("inline.acts")
    assert deliver(dispatch_client, message_for(body)).status_code == 200
    [run] = runs_of(db, workflow)
    assert run["status"] == "succeeded"
    assert len(writers(db, body["eventId"], workflow, trigger)) > 1


def test_fifty_concurrent_deliveries_of_an_event_nobody_recorded_run_it_once(
    db: Database,
    alice: UserClient,
    dispatch_client: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    workflow = make_workflow(alice, [GATE_FAILS])
    trigger = make_trigger(alice, "inline.raced", workflow)
    message = message_for(envelope("inline.raced"))

    def deliver_once() -> int:
        return int(deliver(dispatch_client.application.test_client(), message).status_code)

    with caplog.at_level(logging.INFO):
        statuses = at_once(50, deliver_once)

    assert len(statuses) == 50 and all(200 <= s < 300 for s in statuses)
    assert len(runs_of(db, workflow)) == 1
    assert triggered_count(db, trigger) == 1
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert not any(r.exc_info for r in caplog.records)


def test_a_run_executed_in_place_is_announced_as_ended_once_committed(
    db: Database, alice: UserClient, dispatch_client: Any
) -> None:
    workflow = make_workflow(alice, [GATE_FAILS])
    make_trigger(alice, "inline.announced", workflow)
    assert deliver(dispatch_client, message_for(envelope("inline.announced"))).status_code == 200
    [run] = runs_of(db, workflow)
    assert [(str(r["id"]), r["status"]) for r in ENDED if str(r["id"]) == str(run["id"])] == [
        (str(run["id"]), "succeeded")
    ]


def test_an_inline_run_whose_key_was_taken_goes_on_from_the_run_that_holds_it(
    db: Database, alice: UserClient, dispatch_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The run's insert travels with the claim's commit: a key already taken (its run
    started the usual way by an interrupted delivery) fails that commit, and the
    dispatch goes on from the run that holds the key, without running it again."""
    workflow = make_workflow(alice, [GATE_FAILS])
    trigger = make_trigger(alice, "inline.taken", workflow)
    body = envelope("inline.taken")
    earlier = str(uuid.uuid4())
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO workflow_runs (id, workflow_id, user_id, trigger_type, trigger_data, "
            "input, status, idempotency_key, finished_at) VALUES (%s, %s, 'alice', 'event', "
            "'{}'::jsonb, '{}'::jsonb, 'succeeded', %s, now())",
            (earlier, workflow, f"event:{body['eventId']}:{trigger}"),
        )

    with caplog.at_level(logging.INFO):
        assert deliver(dispatch_client, message_for(body)).status_code == 200

    assert [str(r["id"]) for r in runs_of(db, workflow)] == [earlier]
    row = event_row(db, body["eventId"])
    assert row["dispatch_status"] == "dispatched"
    assert [(e["runId"], e["status"]) for e in row["triggered"]] == [(earlier, "succeeded")]
    assert triggered_count(db, trigger) == 1
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
