"""Cloud Functions loads ``main.py``: each deployed function's entry point is re-exported
here under its own name."""

from __future__ import annotations

import functions_framework
from werkzeug.exceptions import HTTPException

from functions.api import api
from functions.event_dispatch import event_dispatch
from functions.evolve import evolve
from functions.goal_generation import goal_generation
from functions.http_errors import json_http_error
from functions.schedule_fire import schedule_fire
from functions.treasury_webhook import treasury_webhook

# functions-framework executes this module once per app it creates, inside that app's
# context: the framework's own routing errors answer JSON like the functions do.
functions_framework.errorhandler(HTTPException)(json_http_error)

__all__ = [
    "api",
    "event_dispatch",
    "evolve",
    "goal_generation",
    "schedule_fire",
    "treasury_webhook",
]
