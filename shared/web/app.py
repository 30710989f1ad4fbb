"""The ``api`` function's application: every capability's routes in one table."""

from __future__ import annotations

import importlib
from functools import cache

from shared.web.router import Api

# Each module defines ``router``; one line per capability.
ROUTE_MODULES = [
    "shared.web.system",
    "shared.improve.routes",
    "shared.treasury.routes",
    "shared.goals.routes",
    "shared.workflows.routes",
    "shared.events.routes",
    "shared.memory.routes",
    "shared.scheduler.routes",
    "shared.evolver.routes",
    "shared.lifecycle.routes",
]


@cache
def api_app() -> Api:
    return Api([importlib.import_module(m).router for m in ROUTE_MODULES])
