"""JSON for the errors functions-framework's own routing answers before a function
runs: a path its route cannot match (e.g. one holding a newline) would otherwise get
Flask's HTML 404 page, where every other error of this API is ``{"error": ...}``."""

from __future__ import annotations

from flask import Response
from werkzeug.exceptions import HTTPException

from shared.web.responses import json_response


def json_http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    headers = {}
    if status == 405 and exc.get_headers():
        headers = {k: v for k, v in exc.get_headers() if k.lower() == "allow"}
    if status == 404:
        message = "no route for this path"
    elif status == 400:
        # the framework's text for a body that is no CloudEvent quotes the request's
        # headers and body, a bearer token included: never echo it back
        message = "bad request: not a request this function can read (a CloudEvent?)"
    else:
        message = exc.description or exc.name
    return json_response({"error": message}, status, headers)
