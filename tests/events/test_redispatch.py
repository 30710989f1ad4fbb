"""The per-minute job finishes what was accepted: an event published but never
dispatched after the grace period, or whose dispatch lease ran out, is dispatched by
the tick itself, once, whatever the bus does later."""

from __future__ import annotations

from typing import Any

from shared.db import Database
from shared.events.redispatch import redispatch_stranded
from tests.conftest import UserClient, function_client
from tests.events.conftest import deliver
from tests.events.helpers import event_row, make_trigger, make_workflow, runs_of
from tests.support.fake_pubsub import FakePubSub, Published


def tick() -> dict[str, Any]:
    """The per-minute job, as Cloud Scheduler calls it."""
    res = function_client("schedule_fire").post("/", json={"tick": True})
    assert res.status_code == 200, res.get_json()
    return dict(res.get_json())


def accepted(user: UserClient, fake: FakePubSub, event_type: str) -> tuple[str, Published]:
    """An event the API accepted and published, whose message the bus then lost."""
    res = user.post("/api/events", json={"eventType": event_type, "payload": {"n": 1}})
    assert res.status_code == 202
    [message] = fake.publisher.take()
    return str(res.get_json()["eventId"]), message


def age(db: Database, event_id: str) -> None:
    """As if it was published an hour ago: past any grace period."""
    with db.transaction() as tx:
        tx.execute(
            "UPDATE usage_events SET published_at = now() - interval '1 hour' WHERE id = %s",
            (event_id,),
        )


def test_an_event_whose_delivery_was_lost_is_dispatched_by_the_tick_once(
    db: Database, alice: UserClient, dispatch_client: Any, published: FakePubSub
) -> None:
    workflow = make_workflow(alice)
    trigger = make_trigger(alice, "lost.delivery", workflow)
    event_id, message = accepted(alice, published, "lost.delivery")
    age(db, event_id)

    assert tick()["eventsRedispatched"] == 1

    [run] = runs_of(db, workflow)
    event = event_row(db, event_id)
    assert event["dispatch_status"] == "dispatched"
    assert [e["triggerId"] for e in event["triggered"]] == [trigger]
    assert tick()["eventsRedispatched"] == 0
    assert deliver(dispatch_client, message).status_code == 200  # the bus, late after all
    assert [r["id"] for r in runs_of(db, workflow)] == [run["id"]]


def test_an_event_within_the_grace_period_is_left_to_its_delivery(
    db: Database, alice: UserClient, dispatch_client: Any, published: FakePubSub
) -> None:
    workflow = make_workflow(alice)
    make_trigger(alice, "fresh.delivery", workflow)
    event_id, message = accepted(alice, published, "fresh.delivery")

    assert tick()["eventsRedispatched"] == 0
    assert event_row(db, event_id)["dispatch_status"] == "pending"
    assert runs_of(db, workflow) == []

    assert deliver(dispatch_client, message).status_code == 200
    assert len(runs_of(db, workflow)) == 1


def hold(db: Database, event_id: str, lease: str) -> None:
    """As a delivery that died mid-dispatch leaves the event, its lease ending ``lease``."""
    with db.transaction() as tx:
        tx.execute(
            "UPDATE usage_events SET dispatch_status = 'dispatching', "
            "dispatch_lease_until = now() + %s::interval WHERE id = %s",
            (lease, event_id),
        )


def test_an_event_whose_dispatch_lease_ran_out_is_finished_by_the_tick(
    db: Database, alice: UserClient, published: FakePubSub
) -> None:
    workflow = make_workflow(alice)
    make_trigger(alice, "held.dispatch", workflow)
    event_id, _ = accepted(alice, published, "held.dispatch")
    hold(db, event_id, "1 hour")

    assert tick()["eventsRedispatched"] == 0  # the holder may still be at it
    assert runs_of(db, workflow) == []

    hold(db, event_id, "-1 second")
    assert tick()["eventsRedispatched"] == 1
    assert len(runs_of(db, workflow)) == 1
    assert event_row(db, event_id)["dispatch_status"] == "dispatched"


def test_the_tick_dispatches_a_bounded_batch_and_the_next_one_the_rest(
    db: Database, alice: UserClient, published: FakePubSub
) -> None:
    workflow = make_workflow(alice)
    make_trigger(alice, "lost.batch", workflow)
    event_ids = [accepted(alice, published, "lost.batch")[0] for _ in range(3)]
    for event_id in event_ids:
        age(db, event_id)

    assert redispatch_stranded(limit=2) == 2
    assert redispatch_stranded(limit=2) == 1
    assert len(runs_of(db, workflow)) == 3
    assert {event_row(db, e)["dispatch_status"] for e in event_ids} == {"dispatched"}


def test_an_event_that_cannot_be_read_goes_to_the_back_and_blocks_no_other(
    db: Database, alice: UserClient, published: FakePubSub
) -> None:
    deep = '{"a":' * 70 + "1" + "}" * 70  # stored before JSON_MAX_DEPTH held
    with db.transaction() as tx:
        bad = str(
            tx.scalar(
                "INSERT INTO usage_events (user_id, event_type, event_data, published_at) "
                "VALUES ('alice', 'lost.unreadable', %s::jsonb, now() - interval '2 hours') "
                "RETURNING id",
                (deep,),
            )
        )
    workflow = make_workflow(alice)
    make_trigger(alice, "lost.readable", workflow)
    good, _ = accepted(alice, published, "lost.readable")
    age(db, good)

    assert redispatch_stranded(limit=1) == 0  # the older, unreadable one first
    assert redispatch_stranded(limit=1) == 1  # then the one tried less
    assert event_row(db, good)["dispatch_status"] == "dispatched"
    stranded = event_row(db, bad)
    assert stranded["dispatch_status"] == "pending" and stranded["redispatch_attempts"] == 1
    assert tick()["eventsRedispatched"] == 0
