"""The ``workflow-run`` function: one Pub/Sub push per run handed off (``RUNS_TOPIC``).

Returning acknowledges the message: the run was executed, or a redelivery found it
finished or in another executor's hands, or the message was recorded as unprocessable.
``Retryable`` (the database is unavailable) answers 503 through the one error mapper
and Pub/Sub delivers the message again. Anything else is a bug: functions-framework
logs it with its traceback and answers 500."""

from __future__ import annotations

import flask
import functions_framework
from cloudevents.http import CloudEvent

from shared.errors import AppError
from shared.web.responses import error_response
from shared.workflows.engine import deliver


@functions_framework.cloud_event
def workflow_run(cloud_event: CloudEvent) -> None:
    try:
        deliver(cloud_event.get_data(), delivery_id=cloud_event.get("id"))
    except AppError as exc:
        flask.abort(error_response(exc))
