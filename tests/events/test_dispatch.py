"""event-dispatch as Eventarc calls it: CloudEvents through functions-framework's test
client, carrying messages the real Pub/Sub client published to the fake."""

from __future__ import annotations

import base64
import json
import logging
import socket
import uuid
from typing import Any

import pytest

from shared import bootstrap
from shared.config import Settings
from shared.db import Database
from shared.events import outbox
from shared.events.handlers import system_handlers
from shared.workflows.engine import execute_workflow
from tests.conftest import UserClient
from tests.events.conftest import bus_settings, deliver, message_for, post_event
from tests.events.helpers import (
    event_row,
    make_trigger,
    make_workflow,
    rejected,
    runs_of,
    triggered_count,
)
from tests.support.fake_pubsub import FakePubSub, Published
from tests.support.together import at_once


def emit(
    db: Database, fake: FakePubSub, user: str, event_type: str, payload: Any = None, depth: int = 0
) -> tuple[str, Published]:
    with db.transaction() as tx:
        event_id = outbox.record(tx, user, event_type, payload or {}, depth=depth)
    [message] = fake.publisher.take()
    return event_id, message


@pytest.mark.parametrize("mode", ["binary", "structured"])
@pytest.mark.parametrize("spelling", ["camel", "snake"])
def test_a_delivery_runs_the_matching_workflow_once(
    db: Database,
    alice: UserClient,
    dispatch_client: Any,
    published: FakePubSub,
    mode: str,
    spelling: str,
) -> None:
    event_type = f"post.{mode}_{spelling}"
    workflow = make_workflow(alice)
    trigger = make_trigger(alice, event_type, workflow)
    event_id, message = emit(db, published, "alice", event_type, {"title": "hi"})

    res = deliver(dispatch_client, message, mode=mode, spelling=spelling)

    assert res.status_code == 200
    [run] = runs_of(db, workflow)
    assert run["trigger_type"] == "event" and run["user_id"] == "alice"
    assert run["trigger_data"] == {
        "eventId": event_id,
        "eventType": event_type,
        "payload": {"title": "hi"},
        "triggerId": trigger,
    }
    event = event_row(db, event_id)
    assert event["dispatch_status"] == "dispatched"
    assert event["triggered"] == [
        {
            "triggerId": trigger,
            "workflowId": workflow,
            "runId": str(run["id"]),
            "status": run["status"],
        }
    ]
    assert triggered_count(db, trigger) == 1


def test_a_redelivered_event_runs_nothing_again(
    db: Database, alice: UserClient, dispatch_client: Any, published: FakePubSub
) -> None:
    workflow = make_workflow(alice)
    trigger = make_trigger(alice, "post.redelivered", workflow)
    _, message = emit(db, published, "alice", "post.redelivered")
    assert deliver(dispatch_client, message).status_code == 200
    assert deliver(dispatch_client, message, mode="structured").status_code == 200
    assert len(runs_of(db, workflow)) == 1
    assert triggered_count(db, trigger) == 1


def test_fifty_concurrent_deliveries_of_one_event_are_all_acknowledged_and_run_once(
    db: Database,
    alice: UserClient,
    dispatch_client: Any,
    published: FakePubSub,
    caplog: pytest.LogCaptureFixture,
) -> None:
    workflows = [make_workflow(alice) for _ in range(2)]
    trigger_ids = [make_trigger(alice, "post.concurrent", w) for w in workflows]
    event_id, message = emit(db, published, "alice", "post.concurrent")

    def deliver_once() -> int:
        return int(deliver(dispatch_client.application.test_client(), message).status_code)

    with caplog.at_level(logging.INFO):
        statuses = at_once(50, deliver_once)

    assert len(statuses) == 50 and all(200 <= s < 300 for s in statuses)
    assert [len(runs_of(db, w)) for w in workflows] == [1, 1]
    assert [triggered_count(db, t) for t in trigger_ids] == [1, 1]
    assert len(event_row(db, event_id)["triggered"]) == 2
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert not any(r.exc_info for r in caplog.records)


def test_an_event_of_one_user_never_runs_another_users_workflow(
    db: Database, alice: UserClient, bob: UserClient, dispatch_client: Any, published: FakePubSub
) -> None:
    mine, theirs = make_workflow(alice), make_workflow(bob)
    make_trigger(alice, "post.tenancy", mine)
    bobs_trigger = make_trigger(bob, "post.tenancy", theirs)
    _, message = emit(db, published, "alice", "post.tenancy")
    assert deliver(dispatch_client, message).status_code == 200
    assert len(runs_of(db, mine)) == 1
    assert runs_of(db, theirs) == [] and triggered_count(db, bobs_trigger) == 0


def test_an_inactive_trigger_does_not_fire(
    db: Database, alice: UserClient, dispatch_client: Any, published: FakePubSub
) -> None:
    workflow = make_workflow(alice)
    trigger = make_trigger(alice, "post.inactive", workflow)
    with db.transaction() as tx:
        tx.execute("UPDATE event_triggers SET is_active = false WHERE id = %s", (trigger,))
    _, message = emit(db, published, "alice", "post.inactive")
    assert deliver(dispatch_client, message).status_code == 200
    assert runs_of(db, workflow) == []


def test_an_event_past_the_maximum_depth_is_recorded_and_not_dispatched(
    db: Database,
    settings: Settings,
    alice: UserClient,
    dispatch_client: Any,
    published: FakePubSub,
) -> None:
    workflow = make_workflow(alice)
    make_trigger(alice, "post.deep", workflow)
    at_limit, message = emit(db, published, "alice", "post.deep", depth=settings.event_max_depth)
    assert deliver(dispatch_client, message).status_code == 200
    past, message = emit(db, published, "alice", "post.deep", depth=settings.event_max_depth + 1)
    assert deliver(dispatch_client, message).status_code == 200

    assert len(runs_of(db, workflow)) == 1
    assert event_row(db, at_limit)["dispatch_status"] == "dispatched"
    too_deep = event_row(db, past)
    assert too_deep["dispatch_status"] == "too_deep" and too_deep["triggered"] == []
    assert "EVENT_MAX_DEPTH" in too_deep["detail"]


def _b64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.b64encode(raw).decode()


GOOD = {
    "eventId": "6f1c7f0e-1d0b-4c59-9a53-2a8f2f5c1a01",
    "eventType": "post.poison",
    "userId": "alice",
    "payload": {},
    "depth": 0,
    "occurredAt": "2026-11-27T09:00:00Z",
}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"subscription": "s"}, "no Pub/Sub message"),
        ({"message": {"messageId": "9"}}, "no data"),
        ({"message": {"data": "%%%not-base64", "messageId": "9"}}, "not base64-encoded JSON"),
        ({"message": {"data": _b64(b"not json {"), "messageId": "9"}}, "not base64-encoded JSON"),
        ({"message": {"data": _b64([1, 2]), "messageId": "9"}}, "not a JSON object"),
        ({"message": {"data": _b64({**GOOD, "eventId": None}), "messageId": "9"}}, "eventId"),
        (
            {
                "message": {
                    "data": _b64({k: v for k, v in GOOD.items() if k != "userId"}),
                    "messageId": "9",
                }
            },
            "userId",
        ),
        (
            {"message": {"data": _b64({**GOOD, "userId": {"id": "alice"}}), "messageId": "9"}},
            "userId",
        ),
        ({"message": {"data": _b64({**GOOD, "userId": 42}), "messageId": "9"}}, "userId"),
        (
            {"message": {"data": _b64({**GOOD, "eventId": "not-a-uuid"}), "messageId": "9"}},
            "eventId",
        ),
        (
            {"message": {"data": _b64({**GOOD, "eventType": "NoDots"}), "messageId": "9"}},
            "eventType",
        ),
        ({"message": {"data": _b64({**GOOD, "depth": "deep"}), "messageId": "9"}}, "depth"),
        ({"message": {"data": _b64({**GOOD, "chain": ["nope"]}), "messageId": "9"}}, "chain"),
        ({"message": {"data": _b64({**GOOD, "chain": "w"}), "messageId": "9"}}, "chain"),
        ({"message": {"data": _b64({**GOOD, "payload": [1]}), "messageId": "9"}}, "payload"),
        (
            {"message": {"data": _b64({**GOOD, "payload": {"t": "a\u0000b"}}), "messageId": "9"}},
            "NUL",
        ),
        ({"message": {"data": _b64({**GOOD, "userId": "al\u0000ice"}), "messageId": "9"}}, "NUL"),
    ],
)
def test_an_envelope_that_can_never_be_processed_is_acknowledged_and_recorded(
    db: Database, dispatch_client: Any, data: dict[str, Any], reason: str
) -> None:
    from cloudevents.http import CloudEvent

    before = len(rejected(db))
    event = CloudEvent(
        {
            "id": "ce-1",
            "type": "google.cloud.pubsub.topic.v1.messagePublished",
            "source": "//pubsub.googleapis.com/x",
            "datacontenttype": "application/json",
        },
        data,
    )
    assert post_event(dispatch_client, event).status_code == 200
    records = rejected(db)[before:]
    assert len(records) == 1 and reason in records[0]["reason"]
    assert records[0]["source"] == "event-dispatch" and records[0]["body"]
    with db.transaction() as tx:
        assert tx.scalar("SELECT count(*) FROM usage_events WHERE event_type = 'post.poison'") == 0


def test_a_binary_delivery_whose_data_is_not_json_is_acknowledged_and_recorded(
    db: Database, dispatch_client: Any
) -> None:
    before = len(rejected(db))
    res = dispatch_client.post(
        "/",
        headers={
            "ce-id": "ce-2",
            "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
            "ce-source": "//pubsub.googleapis.com/x",
            "ce-specversion": "1.0",
            "Content-Type": "text/plain",
        },
        data=b"\x00garbage",
    )
    assert res.status_code == 200
    assert len(rejected(db)) == before + 1


def test_an_event_published_by_someone_else_is_recorded_and_dispatched(
    db: Database, alice: UserClient, dispatch_client: Any
) -> None:
    workflow = make_workflow(alice)
    make_trigger(alice, "post.foreign", workflow)
    event_id = str(uuid.uuid4())
    envelope = {**GOOD, "eventId": event_id, "eventType": "post.foreign", "payload": {"x": 1}}
    assert deliver(dispatch_client, message_for(envelope)).status_code == 200
    assert deliver(dispatch_client, message_for(envelope, "2")).status_code == 200
    row = event_row(db, event_id)
    assert row["user_id"] == "alice" and row["event_data"] == {"x": 1}
    assert row["dispatch_status"] == "dispatched" and row["published_at"] is not None
    assert len(runs_of(db, workflow)) == 1


def test_an_event_published_by_someone_else_keeps_its_chain(
    db: Database, alice: UserClient, dispatch_client: Any
) -> None:
    workflow = make_workflow(alice)
    make_trigger(alice, "post.chained", workflow)
    event_id = str(uuid.uuid4())
    envelope = {**GOOD, "eventId": event_id, "eventType": "post.chained", "chain": [workflow]}
    assert deliver(dispatch_client, message_for(envelope)).status_code == 200
    row = event_row(db, event_id)
    assert row["chain"] == [workflow] and row["triggered"][0]["status"] == "cycle"
    assert runs_of(db, workflow) == []


def test_a_delivery_reusing_an_event_id_for_another_user_is_rejected(
    db: Database,
    alice: UserClient,
    bob: UserClient,
    dispatch_client: Any,
    published: FakePubSub,
) -> None:
    bobs = make_workflow(bob)
    make_trigger(bob, "post.spoof", bobs)
    event_id, _ = emit(db, published, "alice", "post.spoof")
    forged = {**GOOD, "eventId": event_id, "eventType": "post.spoof", "userId": "bob"}
    before = len(rejected(db))
    assert deliver(dispatch_client, message_for(forged)).status_code == 200
    assert runs_of(db, bobs) == []
    assert "another event" in rejected(db)[before]["reason"]


def test_a_delivery_while_another_holds_the_event_is_acknowledged_and_runs_nothing(
    db: Database,
    alice: UserClient,
    dispatch_client: Any,
    published: FakePubSub,
    caplog: pytest.LogCaptureFixture,
) -> None:
    workflow = make_workflow(alice)
    make_trigger(alice, "post.leased", workflow)
    event_id, message = emit(db, published, "alice", "post.leased")
    with db.transaction() as tx:  # as a delivery still dispatching it holds it
        tx.execute(
            "UPDATE usage_events SET dispatch_status = 'dispatching', "
            "dispatch_lease_until = now() + interval '1 hour' WHERE id = %s",
            (event_id,),
        )
    with caplog.at_level(logging.INFO):
        assert deliver(dispatch_client, message).status_code == 200
    assert runs_of(db, workflow) == []
    assert event_row(db, event_id)["dispatch_status"] == "dispatching"
    dispatch_records = [r for r in caplog.records if r.name == "shared.events.dispatch"]
    assert [(r.levelname, r.getMessage()) for r in dispatch_records] == [
        ("INFO", "event not dispatched: in_progress")
    ]
    assert not any(r.levelno >= logging.WARNING for r in caplog.records)


def test_a_run_started_before_a_crash_is_not_started_or_counted_again(
    db: Database, alice: UserClient, dispatch_client: Any, published: FakePubSub
) -> None:
    workflow = make_workflow(alice)
    trigger = make_trigger(alice, "post.crashed", workflow)
    event_id, message = emit(db, published, "alice", "post.crashed")
    first = execute_workflow(  # the run a crashed delivery had started
        workflow,
        "alice",
        {"eventId": event_id},
        "event",
        idempotency_key=f"event:{event_id}:{trigger}",
    )
    assert deliver(dispatch_client, message).status_code == 200
    assert [str(r["id"]) for r in runs_of(db, workflow)] == [str(first["id"])]
    assert event_row(db, event_id)["triggered"][0]["runId"] == str(first["id"])
    assert triggered_count(db, trigger) == 1


def test_the_system_handler_of_an_event_type_runs_once_per_event(
    db: Database, dispatch_client: Any, published: FakePubSub
) -> None:
    seen: list[dict[str, Any]] = []
    system_handlers["post.system_handled"] = seen.append
    try:
        event_id, message = emit(db, published, "carol", "post.system_handled", {"k": "v"})
        assert deliver(dispatch_client, message).status_code == 200
        assert deliver(dispatch_client, message).status_code == 200
    finally:
        del system_handlers["post.system_handled"]
    assert [(e["eventId"], e["userId"], e["payload"]) for e in seen] == [
        (event_id, "carol", {"k": "v"})
    ]
    assert event_row(db, event_id)["triggered"] == [
        {"handler": "post.system_handled", "status": "succeeded"}
    ]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_database_down_answers_non_2xx_and_a_redelivery_runs_once(
    db: Database,
    settings: Settings,
    alice: UserClient,
    dispatch_client: Any,
    published: FakePubSub,
) -> None:
    workflow = make_workflow(alice)
    trigger = make_trigger(alice, "post.db_down", workflow)
    event_id, message = emit(db, published, "alice", "post.db_down")
    down = f"postgresql://postgres@127.0.0.1:{closed_port()}/segp"
    bootstrap.configure(bus_settings(down, published))
    try:
        res = deliver(dispatch_client, message)
    finally:
        bootstrap.configure(settings)
    assert res.status_code >= 500
    assert runs_of(db, workflow) == []

    assert deliver(dispatch_client, message).status_code == 200
    assert deliver(dispatch_client, message).status_code == 200
    assert len(runs_of(db, workflow)) == 1
    assert triggered_count(db, trigger) == 1
    assert event_row(db, event_id)["dispatch_status"] == "dispatched"


def test_a_body_that_is_no_cloudevent_is_refused_without_echoing_the_request(
    dispatch_client: Any,
) -> None:
    """functions-framework's own text for this quotes the headers and the body."""
    res = dispatch_client.post(
        "/",
        data=b'{"not": "a cloudevent", "secret": "body-secret-123"}',
        headers={"Authorization": "Bearer header-secret-456", "Content-Type": "application/json"},
    )
    assert res.status_code == 400
    text = res.get_data(as_text=True)
    assert "error" in res.get_json()
    assert "header-secret-456" not in text and "body-secret-123" not in text
