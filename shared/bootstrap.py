"""The one wiring point: which settings the process runs with, the per-instance
clients built from them, and what each extension point is handed. Every cached factory
is cleared here when settings change, so the local server and the tests can point the
same code at their own database and fakes.

``wire`` loads the modules that register system handlers, dispatch listeners and
run-ended listeners, and hands event dispatch the workflow engine's entry points: the
events and workflows packages never import each other. The registries call it on
their first use, so each is complete in every process whatever it imported before,
and a function instance that never dispatches loads none of it (cold start)."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable
from functools import cache
from typing import Any

from shared import config, logs
from shared.errors import ConfigError

_resets: list[Callable[[], None]] = []

# Modules that register into an extension point when imported: system handlers and
# dispatch listeners (``shared.events.handlers``), run-ended listeners
# (``shared.workflows.ended``).
EXTENSIONS = (
    "shared.goals.sweep",
    "shared.memory.sweep",
    "shared.workflows.engine",
    "shared.scheduler.settle",
)


def on_configure(cached: Any) -> Any:
    """Register a ``functools.cache`` factory to be cleared when settings change."""
    _resets.append(cached.cache_clear)
    return cached


@cache
def wire() -> None:
    """Load every extension module and hand event dispatch the engine (once)."""
    from shared.events import triggers

    for module in EXTENSIONS:
        importlib.import_module(module)
    from shared.workflows.engine import TriggerRunner

    triggers.use_runner(TriggerRunner())


def configure(settings: config.Settings) -> None:
    from shared.db import get_database

    config.configure(settings)
    with contextlib.suppress(Exception):  # a pool that never connected has nothing to close
        get_database().close()
    get_database.cache_clear()
    for reset in _resets:
        reset()


def start_function() -> None:
    """What a deployed function does once, when functions-framework loads ``main.py``:
    JSON logs on stdout at ``LOG_LEVEL``. Reads the environment and nothing else; with
    settings that do not validate, logs start at the default level and the first
    request answers the misconfiguration in full."""
    try:
        level = config.get_settings().log_level
    except ConfigError:
        level = config.Settings.model_fields["log_level"].default
    logs.setup(level)
