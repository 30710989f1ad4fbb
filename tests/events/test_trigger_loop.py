"""A workflow that emits the event that triggers it: the loop stops at the depth limit."""

from __future__ import annotations

from typing import Any

from shared.config import Settings
from shared.db import Database
from tests.conftest import UserClient
from tests.events.conftest import deliver, envelope_of
from tests.events.helpers import event_row, make_trigger, make_workflow, runs_of
from tests.support.fake_pubsub import FakePubSub

EMIT_AGAIN = {
    "id": "again",
    "type": "emit",
    "config": {"eventType": "loop.tick", "payload": {"seed": "{{trigger.payload.seed}}"}},
}


def test_a_trigger_loop_stops_at_the_maximum_depth(
    db: Database,
    settings: Settings,
    alice: UserClient,
    dispatch_client: Any,
    published: FakePubSub,
) -> None:
    workflow = make_workflow(alice, [EMIT_AGAIN])
    make_trigger(alice, "loop.tick", workflow)
    res = alice.post("/api/events", json={"eventType": "loop.tick", "payload": {"seed": "s"}})
    assert res.status_code == 202

    depths: list[int] = []
    for _ in range(3 * settings.event_max_depth):  # deliver what was published until quiet
        messages = published.publisher.take()
        if not messages:
            break
        for message in messages:
            depths.append(envelope_of(message)["depth"])
            assert deliver(dispatch_client, message).status_code == 200

    limit = settings.event_max_depth
    assert depths == list(range(limit + 2))
    assert len(runs_of(db, workflow)) == limit + 1
    log = alice.get("/api/events/log?eventType=loop.tick&limit=200").get_json()
    assert [e["depth"] for e in log] == list(reversed(range(limit + 2)))
    assert log[0]["dispatch_status"] == "too_deep"
    assert all(e["dispatch_status"] == "dispatched" for e in log[1:])
    assert event_row(db, log[0]["id"])["triggered"] == []
