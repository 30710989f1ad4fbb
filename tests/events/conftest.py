"""The events suite publishes with the real google-cloud-pubsub client to an in-process
gRPC fake, and receives CloudEvents through functions-framework's test client."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from shared import bootstrap
from shared.config import Settings
from tests.conftest import test_settings
from tests.support.fake_pubsub import FakePubSub, Published

PROJECT = "segp-test"
TOPIC = f"projects/{PROJECT}/topics/segp-events"


@pytest.fixture(scope="module")
def fake_pubsub() -> Iterator[FakePubSub]:
    fake = FakePubSub()
    yield fake
    fake.stop()


def bus_settings(url: str, fake: FakePubSub, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "PUBSUB_EMULATOR_HOST": fake.host,
        "EVENTS_PROJECT": PROJECT,
        "EVENT_PUBLISH_TIMEOUT_SECONDS": 1,
    }
    values.update(overrides)
    return test_settings(url, **values)


@pytest.fixture(scope="module")
def settings(db_url: str, fake_pubsub: FakePubSub) -> Settings:
    """Overrides the suite's settings: events go to the fake Pub/Sub."""
    s = bus_settings(db_url, fake_pubsub)
    bootstrap.configure(s)
    return s


@pytest.fixture
def published(fake_pubsub: FakePubSub) -> Iterator[FakePubSub]:
    """The fake, emptied and healthy before the test and healthy after it."""
    fake_pubsub.publisher.take()
    fake_pubsub.publisher.fail_code = None
    fake_pubsub.publisher.lose = 0
    yield fake_pubsub
    fake_pubsub.publisher.fail_code = None
    fake_pubsub.publisher.lose = 0


def envelope_of(message: Published) -> dict[str, Any]:
    return dict(json.loads(message.data))


def pubsub_data(message: Published, *, spelling: str = "camel") -> dict[str, Any]:
    """What Eventarc puts in the CloudEvent's data for this Pub/Sub message."""
    msg: dict[str, Any] = {
        "data": base64.b64encode(message.data).decode(),
        "attributes": message.attributes,
    }
    if spelling in {"camel", "both"}:
        msg.update(messageId=message.message_id, publishTime="2026-11-27T09:00:00.123Z")
    if spelling in {"snake", "both"}:
        msg.update(message_id=message.message_id, publish_time="2026-11-27T09:00:00.123Z")
    return {"message": msg, "subscription": "projects/segp-test/subscriptions/dispatch"}


def cloud_event(message: Published, *, spelling: str = "camel") -> Any:
    from cloudevents.http import CloudEvent

    return CloudEvent(
        {
            "id": message.message_id,
            "type": "google.cloud.pubsub.topic.v1.messagePublished",
            "source": f"//pubsub.googleapis.com/{message.topic}",
            "specversion": "1.0",
            "datacontenttype": "application/json",
        },
        pubsub_data(message, spelling=spelling),
    )


def post_event(client: Any, event: Any, *, mode: str = "binary") -> Any:
    """POST a CloudEvent as Eventarc would, in binary or structured content mode."""
    from cloudevents.conversion import to_binary, to_structured

    headers, body = to_binary(event) if mode == "binary" else to_structured(event)
    return client.post("/", headers=headers, data=body)


def deliver(
    client: Any, message: Published, *, mode: str = "binary", spelling: str = "both"
) -> Any:
    return post_event(client, cloud_event(message, spelling=spelling), mode=mode)


def message_for(envelope: dict[str, Any], message_id: str = "1") -> Published:
    """A Pub/Sub message carrying this envelope, as another publisher would send it."""
    return Published(
        TOPIC,
        json.dumps(envelope).encode(),
        {"eventType": str(envelope.get("eventType")), "userId": str(envelope.get("userId"))},
        message_id,
    )


@pytest.fixture(scope="module")
def dispatch_client(settings: Settings) -> Any:
    from tests.conftest import function_client

    return function_client("event_dispatch")
