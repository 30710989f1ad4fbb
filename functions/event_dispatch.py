"""The ``event-dispatch`` function: one Eventarc CloudEvent per Pub/Sub message.

Returning acknowledges the message (dispatched, a duplicate, too deep, or recorded as
unprocessable); ``Retryable`` (another delivery holds the event, the database is
unavailable) answers 503 through the one error mapper, logged as a warning, and
Pub/Sub delivers the message again. Anything else is a bug: functions-framework logs it
with its traceback and answers 500."""

from __future__ import annotations

import flask
import functions_framework
from cloudevents.http import CloudEvent

from shared.errors import AppError
from shared.events.dispatch import deliver
from shared.web.responses import error_response


@functions_framework.cloud_event
def event_dispatch(cloud_event: CloudEvent) -> None:
    try:
        deliver(cloud_event.get_data(), delivery_id=cloud_event.get("id"))
    except AppError as exc:
        flask.abort(error_response(exc))
