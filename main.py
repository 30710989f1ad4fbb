"""Cloud Functions loads ``main.py`` and takes one entry point from it by name: each
deployed function's entry point is re-exported here under its own name.

An instance runs one function, so each entry point is imported when it is first asked
for (PEP 562 ``__getattr__``): an instance of ``event-dispatch`` loads the dispatch
code, not the five other functions' as well. Importing them all at once took twice as
long as importing functions_framework (bench/cold_start.py)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import flask
import functions_framework
from werkzeug.exceptions import HTTPException

from functions import request_logs
from functions.http_errors import json_http_error
from shared import bootstrap

# entry point -> the module that defines it
HANDLERS = {
    "api": "functions.api",
    "event_dispatch": "functions.event_dispatch",
    "evolve": "functions.evolve",
    "goal_generation": "functions.goal_generation",
    "schedule_fire": "functions.schedule_fire",
    "treasury_webhook": "functions.treasury_webhook",
    "workflow_run": "functions.workflow_run",
}

# entry point -> the function its module runs before functions-framework reads a request
GUARDS = {"event_dispatch": "event_dispatch_guard"}

# functions-framework executes this module once per app it creates, inside that app's
# context: the framework's own routing errors answer JSON like the functions do, and an
# entry point's guard runs before the framework reads the body (the app is named after
# its entry point; its module is the one the framework imports next anyway).
functions_framework.errorhandler(HTTPException)(json_http_error)
# JSON logs at LOG_LEVEL, each line of a request tagged with its id and trace
bootstrap.start_function()
request_logs.install()
if flask.has_app_context() and flask.current_app.name in GUARDS:
    _name = flask.current_app.name
    flask.current_app.before_request(
        getattr(importlib.import_module(HANDLERS[_name]), GUARDS[_name])
    )

__all__ = [
    "api",
    "event_dispatch",
    "evolve",
    "goal_generation",
    "schedule_fire",
    "treasury_webhook",
    "workflow_run",
]

if TYPE_CHECKING:
    from functions.api import api
    from functions.event_dispatch import event_dispatch
    from functions.evolve import evolve
    from functions.goal_generation import goal_generation
    from functions.schedule_fire import schedule_fire
    from functions.treasury_webhook import treasury_webhook
    from functions.workflow_run import workflow_run


def __getattr__(name: str) -> Any:
    module = HANDLERS.get(name)
    if module is None:
        raise AttributeError(f"module 'main' has no attribute {name!r}")
    handler = getattr(importlib.import_module(module), name)
    globals()[name] = handler  # later lookups find it without coming here
    return handler


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
