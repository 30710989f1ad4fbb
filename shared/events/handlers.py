"""System handlers: event types the bundle itself acts on at dispatch, beside the
users' own triggers (for example one ``goals.generation_requested`` event per user,
which the goal engine answers). A handler takes the decoded envelope and must be
idempotent per event id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Envelope = dict[str, Any]

system_handlers: dict[str, Callable[[Envelope], None]] = {}


def system_handler(
    event_type: str,
) -> Callable[[Callable[[Envelope], None]], Callable[[Envelope], None]]:
    def register(fn: Callable[[Envelope], None]) -> Callable[[Envelope], None]:
        system_handlers[event_type] = fn
        return fn

    return register
