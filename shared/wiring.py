"""The composition root of the extension points: which modules register system
handlers, dispatch listeners and run-ended listeners, and what event dispatch is handed
to start runs (the workflow engine's entry points), so the events and workflows
packages never import each other.

The registries call ``wire`` on their first use, so each is complete in every process
whatever it imported before; a function instance that never dispatches loads none of
it (cold start), and ``main.py`` does not import this module."""

from __future__ import annotations

import importlib
from functools import cache

# Modules that register into an extension point when imported: system handlers and
# dispatch listeners (``shared.events.handlers``), run-ended listeners
# (``shared.workflows.ended``).
EXTENSIONS = (
    "shared.goals.sweep",
    "shared.memory.sweep",
    "shared.workflows.engine",
    "shared.scheduler.settle",
)


@cache
def wire() -> None:
    """Load every extension module and hand event dispatch the engine (once)."""
    from shared.events import triggers

    for module in EXTENSIONS:
        importlib.import_module(module)
    from shared.workflows.engine import TriggerRunner

    triggers.use_runner(TriggerRunner())
