"""The ``api`` function: every ``/api/...`` route, authenticated by user JWT."""

from __future__ import annotations

import functions_framework
from flask import Request, Response

from shared.web.app import api_app


@functions_framework.http
def api(request: Request) -> Response:
    return api_app()(request)
