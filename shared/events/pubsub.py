"""The event bus on Pub/Sub: each envelope one message on ``EVENTS_TOPIC``, with
``eventType`` and ``userId`` as attributes (``shared.pubsub`` is the adapter)."""

from __future__ import annotations

from collections.abc import Sequence

from shared import pubsub
from shared.config import Settings, get_settings
from shared.errors import ConfigError
from shared.events.envelope import Envelope


def topic_path(settings: Settings) -> str:
    """``EVENTS_TOPIC`` as a full path; a bare name lives in the Pub/Sub project."""
    return pubsub.topic_path(settings, settings.events_topic, "EVENTS_TOPIC")


def check_topic(settings: Settings) -> str:
    """The topic's full path once Pub/Sub has answered that it exists (a ``GetTopic``,
    bounded by ``EVENT_PUBLISH_TIMEOUT_SECONDS``); raises ``ConfigError`` naming what is
    wrong: no project, no such topic, no permission, or Pub/Sub out of reach."""
    from google.api_core import exceptions as gexc

    path = topic_path(settings)
    try:
        pubsub.publisher().get_topic(
            topic=path, timeout=settings.event_publish_timeout_seconds, retry=None
        )
    except gexc.GoogleAPIError as exc:
        raise ConfigError(f"{path}: {type(exc).__name__}: {getattr(exc, 'message', exc)}") from exc
    return path


class PubSubBus:
    def publish(self, envelopes: Sequence[Envelope]) -> list[BaseException | None]:
        return pubsub.publish(
            topic_path(get_settings()), [(e.data(), e.attributes()) for e in envelopes]
        )
