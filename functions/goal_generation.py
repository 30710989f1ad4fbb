"""The ``goal-generation`` function, called by Cloud Scheduler: ``{"userId": ...}``
generates for one user, an empty body fans out over every recently active user. Like
``schedule-fire``, a delivery a retry cannot fix (a malformed body) is acknowledged
with 200 and recorded; only a retryable failure answers non-2xx."""

from __future__ import annotations

import functions_framework
from flask import Request, Response

from shared.errors import AppError
from shared.goals.sweep import run_scheduled
from shared.rejections import record_rejection
from shared.web.responses import error_response, json_response
from shared.web.router import parse_json, read_raw


@functions_framework.http
def goal_generation(request: Request) -> Response:
    if request.method != "POST":
        return json_response({"error": "use POST"}, 405)
    body = b""
    try:
        body = read_raw(request)
        return json_response(run_scheduled(parse_json(body)))
    except AppError as exc:
        if exc.status >= 500:
            return error_response(exc)
        record_rejection(
            "goal-generation",
            exc.message,
            body=body[:10_000].decode("utf-8", "replace"),
            delivery_id=request.headers.get("X-CloudScheduler-JobName"),
        )
        return json_response({"status": "rejected", "error": exc.message})
    except Exception as exc:  # the one place errors become status codes
        return error_response(exc)
