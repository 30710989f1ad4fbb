"""The ``event-dispatch`` function: one Eventarc CloudEvent per Pub/Sub message.

Returning acknowledges the message (dispatched, a duplicate, too deep, or recorded as
unprocessable); raising (``Retryable`` when the database is unavailable) answers
non-2xx, and Pub/Sub delivers the message again."""

from __future__ import annotations

import functions_framework
from cloudevents.http import CloudEvent

from shared.events.dispatch import deliver


@functions_framework.cloud_event
def event_dispatch(cloud_event: CloudEvent) -> None:
    deliver(cloud_event.get_data(), delivery_id=cloud_event.get("id"))
