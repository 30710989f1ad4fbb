"""The one wiring point: which settings the process runs with, and the per-instance
clients built from them. Every cached factory is cleared here when settings change, so
the local server and the tests can point the same code at their own database and fakes."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from shared import config, logs
from shared.errors import ConfigError

_resets: list[Callable[[], None]] = []


def on_configure(cached: Any) -> Any:
    """Register a ``functools.cache`` factory to be cleared when settings change."""
    _resets.append(cached.cache_clear)
    return cached


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
