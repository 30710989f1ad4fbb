"""Cloud Functions loads ``main.py``: each deployed function's entry point is re-exported
here under its own name."""

from __future__ import annotations

from functions.api import api
from functions.event_dispatch import event_dispatch
from functions.evolve import evolve
from functions.goal_generation import goal_generation
from functions.schedule_fire import schedule_fire
from functions.treasury_webhook import treasury_webhook

__all__ = [
    "api",
    "event_dispatch",
    "evolve",
    "goal_generation",
    "schedule_fire",
    "treasury_webhook",
]
