"""Cloud Functions loads ``main.py``: each deployed function's entry point is re-exported
here under its own name."""

from __future__ import annotations

from functions.api import api
from functions.schedule_fire import schedule_fire

__all__ = ["api", "schedule_fire"]
