"""The ``schedule-fire`` function: Cloud Scheduler's target. Fires one task, runs the
per-minute tick, a reconcile, or the daily consolidation request. A retryable failure
answers non-2xx (Cloud Scheduler retries); everything else is acknowledged."""

from __future__ import annotations

import functions_framework
from flask import Request, Response

from shared.scheduler import delivery
from shared.web.responses import error_response, json_response
from shared.web.router import read_json


@functions_framework.http
def schedule_fire(request: Request) -> Response:
    try:
        command = delivery.parse(read_json(request), dict(request.headers.items()))
        return json_response(delivery.handle(command))
    except Exception as exc:  # the one place errors become status codes
        return error_response(exc)
