"""Publishing from the outbox with the real Pub/Sub client against the in-process fake."""

from __future__ import annotations

import threading

import grpc

from shared.db import Database
from shared.events import outbox, publish
from tests.events.conftest import TOPIC, envelope_of
from tests.support.fake_pubsub import FakePubSub


def row(db: Database, event_id: str) -> dict[str, object]:
    with db.transaction() as tx:
        found = tx.one("SELECT * FROM usage_events WHERE id = %s", (event_id,))
    assert found is not None
    return found


def insert_unpublished(db: Database, n: int, user: str = "relay-user") -> list[str]:
    """Rows as a crash between commit and publish leaves them: recorded, never published."""
    with db.transaction() as tx:
        return [
            str(
                tx.scalar(
                    "INSERT INTO usage_events (user_id, event_type, event_data) "
                    "VALUES (%s, 'crash.left', '{}'::jsonb) RETURNING id",
                    (user,),
                )
            )
            for _ in range(n)
        ]


def test_a_recorded_event_is_published_after_commit_with_envelope_and_attributes(
    db: Database, published: FakePubSub
) -> None:
    with db.transaction() as tx:
        event_id = outbox.record(tx, "u-pub", "memory.stored", {"memoryId": "m1"}, depth=2)
        assert published.publisher.messages == []
    [message] = published.publisher.take()
    assert message.topic == TOPIC
    assert message.attributes == {"eventType": "memory.stored", "userId": "u-pub"}
    envelope = envelope_of(message)
    assert envelope["eventId"] == event_id
    assert envelope["eventType"] == "memory.stored" and envelope["userId"] == "u-pub"
    assert envelope["payload"] == {"memoryId": "m1"} and envelope["depth"] == 2
    assert envelope["occurredAt"].endswith("+00:00")
    stored = row(db, event_id)
    assert stored["published_at"] is not None and stored["publish_attempts"] == 1


def test_every_event_of_a_transaction_is_published_once(
    db: Database, published: FakePubSub
) -> None:
    with db.transaction() as tx:
        ids = [outbox.record(tx, "u-many", "content.generated", {"n": i}) for i in range(200)]
    messages = published.publisher.take()
    assert sorted(envelope_of(m)["eventId"] for m in messages) == sorted(ids)


def test_a_failed_publish_leaves_the_event_for_the_relay_which_publishes_it_later(
    db: Database, published: FakePubSub
) -> None:
    published.publisher.fail_code = grpc.StatusCode.UNAVAILABLE
    with db.transaction() as tx:
        event_id = outbox.record(tx, "u-fail", "goal.created", {"goalId": "g1"})
    failed = row(db, event_id)
    assert failed["published_at"] is None and failed["publish_attempts"] == 1
    assert "publish failed" in str(failed["detail"])

    published.publisher.fail_code = None
    assert publish.relay_pending() >= 1
    assert [envelope_of(m)["eventId"] for m in published.publisher.take()] == [event_id]
    relayed = row(db, event_id)
    assert relayed["published_at"] is not None and relayed["publish_attempts"] == 2
    assert relayed["detail"] is None


def test_the_next_successful_publish_relays_what_was_left_unpublished(
    db: Database, published: FakePubSub
) -> None:
    left = insert_unpublished(db, 3)
    with db.transaction() as tx:
        fresh = outbox.record(tx, "u-next", "soul.updated")
    ids = [envelope_of(m)["eventId"] for m in published.publisher.take()]
    assert ids[0] == fresh and sorted(ids[1:]) == sorted(left)


def test_two_relays_at_once_publish_each_event_once(db: Database, published: FakePubSub) -> None:
    left = insert_unpublished(db, 150)
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        publish.relay_pending()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [envelope_of(m)["eventId"] for m in published.publisher.take()]
    assert sorted(ids) == sorted(left)


def test_a_rolled_back_event_is_never_published(db: Database, published: FakePubSub) -> None:
    try:
        with db.transaction() as tx:
            outbox.record(tx, "u-rb", "goal.created")
            raise RuntimeError("the change failed")
    except RuntimeError:
        pass
    assert published.publisher.take() == []
    assert publish.relay_pending() == 0


def test_relaying_with_nothing_pending_publishes_nothing(published: FakePubSub) -> None:
    assert publish.relay_pending() == 0
    assert published.publisher.take() == []
