"""The event bus on Pub/Sub: each envelope one message on ``EVENTS_TOPIC``, with
``eventType`` and ``userId`` as attributes (``shared.pubsub`` is the adapter)."""

from __future__ import annotations

from collections.abc import Sequence

from shared import pubsub
from shared.config import Settings, get_settings
from shared.events.envelope import Envelope


def topic_path(settings: Settings) -> str:
    """``EVENTS_TOPIC`` as a full path; a bare name lives in the Pub/Sub project."""
    return pubsub.topic_path(settings, settings.events_topic, "EVENTS_TOPIC")


class PubSubBus:
    def publish(self, envelopes: Sequence[Envelope]) -> list[BaseException | None]:
        return pubsub.publish(
            topic_path(get_settings()), [(e.data(), e.attributes()) for e in envelopes]
        )
