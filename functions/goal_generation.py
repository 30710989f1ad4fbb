"""The ``goal-generation`` function, called by Cloud Scheduler: ``{"userId": ...}``
generates for one user, an empty body fans out over every recently active user."""

from __future__ import annotations

import functions_framework
from flask import Request, Response

from shared.goals.sweep import run_scheduled
from shared.web.responses import error_response, json_response
from shared.web.router import read_json


@functions_framework.http
def goal_generation(request: Request) -> Response:
    if request.method != "POST":
        return json_response({"error": "use POST"}, 405)
    try:
        return json_response(run_scheduled(read_json(request)))
    except Exception as exc:  # mapped to a status: 4xx bad body, 503 retry later
        return error_response(exc)
