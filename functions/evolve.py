"""The ``evolve`` function: one evolution for another backend (the Node.js NEXUS
server), private behind IAM, so it takes the user from the body instead of a JWT:
``{userId, agentId, output, context?}``, answered as ``POST /api/oracle/evolve``."""

from __future__ import annotations

import functions_framework
from flask import Request, Response

from shared.evolver.routes import private_evolve
from shared.web.responses import error_response, json_response
from shared.web.router import read_json


@functions_framework.http
def evolve(request: Request) -> Response:
    if request.method != "POST":
        return json_response({"error": "use POST"}, 405)
    try:
        return json_response(private_evolve(read_json(request)))
    except Exception as exc:  # mapped to a status: 4xx bad body, 503 retry later
        return error_response(exc)
