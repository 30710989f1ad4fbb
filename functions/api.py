"""The ``api`` function: every ``/api/...`` route, authenticated by user JWT, and the
operations console's static files at ``/console`` when ``CONSOLE_ENABLED``."""

from __future__ import annotations

import functions_framework
from flask import Request, Response

from shared.console.assets import is_console_path, serve
from shared.web.app import api_app


@functions_framework.http
def api(request: Request) -> Response:
    if is_console_path(request.path):
        return serve(request)
    return api_app()(request)
