"""The ``event-dispatch`` function: one Eventarc CloudEvent per Pub/Sub message.

Returning acknowledges the message (dispatched, a duplicate, too deep, or recorded as
unprocessable); raising (``Retryable`` when the database is unavailable) answers
non-2xx, and Pub/Sub delivers the message again.

The modules that register system handlers (``shared.events.handlers``) are imported
here, so this function's process answers the bundle's own event types whatever else
it loads."""

from __future__ import annotations

import functions_framework
from cloudevents.http import CloudEvent

import shared.goals.sweep  # noqa: F401 (registers the goals.generation_requested handler)
from shared.events.dispatch import deliver


@functions_framework.cloud_event
def event_dispatch(cloud_event: CloudEvent) -> None:
    deliver(cloud_event.get_data(), delivery_id=cloud_event.get("id"))
