"""The ``treasury-webhook`` function: Stripe's webhook endpoint. Public, authenticated
by the ``Stripe-Signature`` header rather than a user JWT."""

from __future__ import annotations

import functions_framework
from flask import Request, Response

from shared.treasury import service
from shared.web.responses import error_response, json_response
from shared.web.router import read_raw


@functions_framework.http
def treasury_webhook(request: Request) -> Response:
    if request.method != "POST":
        return json_response({"error": "only POST is accepted"}, 405)
    try:
        outcome = service.receive(read_raw(request), request.headers.get("Stripe-Signature"))
    except Exception as exc:  # one place errors become status codes
        return error_response(exc)
    return json_response(outcome.body())
