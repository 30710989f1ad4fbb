"""The ``api`` function's application: every capability's routes in one table."""

from __future__ import annotations

from functools import cache

from shared.web.router import Api


@cache
def api_app() -> Api:
    from shared.memory import routes as memory
    from shared.web import system

    return Api([system.router, memory.router])
