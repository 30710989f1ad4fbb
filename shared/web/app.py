"""The ``api`` function's application: every capability's routes in one table."""

from __future__ import annotations

from functools import cache

from shared.web.router import Api


@cache
def api_app() -> Api:
    from shared.improve import routes as improve
    from shared.scheduler import routes as scheduler
    from shared.web import system
    from shared.workflows import routes as workflows

    return Api([system.router, improve.router, workflows.router, scheduler.router])
