"""The ``schedule-fire`` function: Cloud Scheduler's target. Fires one task, runs the
per-minute tick, a reconcile, or the daily consolidation request. A retryable failure
answers non-2xx (Cloud Scheduler retries); one a retry cannot fix (a malformed body,
an unknown task id) is acknowledged with 200 and recorded."""

from __future__ import annotations

import functions_framework
from flask import Request, Response

from shared.errors import AppError
from shared.scheduler import delivery
from shared.web.responses import error_response, json_response
from shared.web.router import parse_json, read_raw


@functions_framework.http
def schedule_fire(request: Request) -> Response:
    headers = dict(request.headers.items())
    body = b""
    try:
        body = read_raw(request)
        command = delivery.parse(parse_json(body), headers)
        return json_response(delivery.handle(command))
    except AppError as exc:
        if exc.status < 500:
            return json_response(delivery.reject(exc.message, body, headers))
        return error_response(exc)
    except Exception as exc:  # the one place errors become status codes
        return error_response(exc)
