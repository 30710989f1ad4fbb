"""The per-minute job relays the outbox, and the daily consolidation request reaches
memory through event dispatch: the wiring between scheduler, events and memory."""

from __future__ import annotations

from typing import Any

import grpc

from shared.db import Database
from shared.events import outbox
from shared.memory.episodic import record_interaction
from tests.conftest import function_client
from tests.events.conftest import deliver, envelope_of, message_for
from tests.support.fake_pubsub import FakePubSub


def test_the_tick_publishes_events_whose_publish_failed(
    db: Database, published: FakePubSub
) -> None:
    published.publisher.fail_code = grpc.StatusCode.UNAVAILABLE
    with db.transaction() as tx:
        event_id = outbox.record(tx, "u-tick", "content.published", {"id": "p1"})
    assert published.publisher.take() == []
    published.publisher.fail_code = None

    res = function_client("schedule_fire").post("/", json={"tick": True})

    assert res.status_code == 200
    assert res.get_json()["relayed"] >= 1
    assert event_id in {envelope_of(m)["eventId"] for m in published.publisher.take()}
    with db.transaction() as tx:
        assert tx.scalar("SELECT published_at FROM usage_events WHERE id = %s", (event_id,))


def _episodes(user: str) -> None:
    for n in ("five", "six", "seven"):
        record_interaction(
            user,
            "scribe_01",
            "draft",
            "blog post about pricing pages",
            f"outline with {n} sections",
            "success",
            {},
        )


def test_a_consolidation_request_delivered_twice_consolidates_that_user_once(
    db: Database, dispatch_client: Any, published: FakePubSub
) -> None:
    _episodes("u-cons")
    _episodes("u-other")
    envelope = {
        "eventId": "8d5e4a8e-7a52-4c1c-9a57-0d2b1f6a9c01",
        "eventType": "memory.consolidation_requested",
        "userId": "u-cons",
        "payload": {"day": "2026-11-27"},
        "depth": 0,
        "occurredAt": "2026-11-27T03:30:00+00:00",
    }
    for _ in range(2):
        assert deliver(dispatch_client, message_for(envelope)).status_code < 300

    with db.transaction() as tx:
        mine = tx.all("SELECT source_memory_ids FROM semantic_memories WHERE user_id = 'u-cons'")
        other = tx.scalar("SELECT count(*) FROM semantic_memories WHERE user_id = 'u-other'")
        triggered = tx.scalar(
            "SELECT triggered FROM usage_events WHERE id = %s", (envelope["eventId"],)
        )
    assert len(mine) == 1 and len(mine[0]["source_memory_ids"]) == 3
    assert other == 0
    assert [t.get("handler") for t in triggered] == ["memory.consolidation_requested"]
