"""The event bus port: something that takes envelopes and publishes them. The Pub/Sub
adapter serves Google Cloud (and an emulator); the local bus stands in for Pub/Sub and
Eventarc under ``segp serve``. Which one is used follows the settings (``bus_mode``)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Protocol

from shared import bootstrap, logs
from shared.config import get_settings
from shared.events.envelope import Envelope

log = logs.get(__name__)


class EventBus(Protocol):
    def publish(self, envelopes: Sequence[Envelope]) -> list[BaseException | None]:
        """Publish every envelope; one result per envelope, ``None`` when it was accepted.
        Never waits on one message before sending the next."""
        ...


@bootstrap.on_configure
@functools.cache
def get_bus() -> EventBus | None:
    """The instance's bus, or ``None`` when events only wait in the outbox."""
    settings = get_settings()
    mode = settings.bus_mode
    if mode == "pubsub":
        from shared.events.pubsub import PubSubBus

        return PubSubBus()
    if mode == "local":
        from shared.local.bus import LocalBus

        return LocalBus()
    if settings.event_bus is None:  # not chosen: most likely a deploy missing its project
        log.warning(
            "no event bus configured: events are recorded but not published "
            "(set EVENTS_PROJECT or GOOGLE_CLOUD_PROJECT, or EVENT_BUS=off to silence this)"
        )
    return None
