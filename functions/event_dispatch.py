"""The ``event-dispatch`` function: one Eventarc CloudEvent per Pub/Sub message.

Returning acknowledges the message (dispatched, a duplicate, being dispatched by
another delivery, too deep, or recorded as unprocessable); ``Retryable`` (the database
is unavailable) answers 503 through the one error mapper, logged as a warning, and
Pub/Sub delivers the message again (the per-minute job dispatches it in any case).
Anything else is a bug: functions-framework logs it with its traceback and answers 500."""

from __future__ import annotations

import flask
import functions_framework
from cloudevents.http import CloudEvent
from flask import request

from shared.errors import AppError, TooLarge
from shared.events.dispatch import deliver, reject, screen
from shared.web.body import read_raw
from shared.web.responses import error_response

ACKNOWLEDGED = ("OK", 200)


@functions_framework.cloud_event
def event_dispatch(cloud_event: CloudEvent) -> None:
    try:
        deliver(cloud_event.get_data(), delivery_id=cloud_event.get("id"))
    except AppError as exc:
        flask.abort(error_response(exc))


def event_dispatch_guard() -> tuple[str, int] | None:
    """Runs before functions-framework reads the request (``main.py`` installs it): the
    framework reads the whole body and parses its JSON before the function is called.
    The body is read here with the ``MAX_BODY_BYTES`` limit, so no more than that is
    ever held; one past the limit, or nested past what a parser may take, is poison:
    acknowledged and recorded. The bytes read stay on the request for the framework."""
    delivery_id = request.headers.get("ce-id")
    try:
        raw = read_raw(request)
    except TooLarge as exc:
        reject(exc.message, body=None, delivery_id=delivery_id)
        return ACKNOWLEDGED
    return None if screen(raw, delivery_id=delivery_id) else ACKNOWLEDGED
