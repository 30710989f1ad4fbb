"""The ``api`` function's application: every capability's routes in one table."""

from __future__ import annotations

from functools import cache

from shared.web.router import Api


@cache
def api_app() -> Api:
    from shared.events import routes as events
    from shared.web import system
    from shared.workflows import routes as workflows

    return Api([system.router, workflows.router, events.router])
