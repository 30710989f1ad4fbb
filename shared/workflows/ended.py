"""Who is told that a run ended, wherever it was executed (the delivery that started
it, the workflow-run function, a resume or a wake-up).

A scheduled fire's history row closes with its run here, at once, instead of at the
per-minute job's next settling (which stays as the backstop for a process that died
in between). Listeners live with what they update; the composition root
(``shared.wiring.wire``) loads the modules holding them, so the workflows package
imports none of them."""

from __future__ import annotations

from collections.abc import Callable

from shared.db import Row
from shared.logs import get

log = get(__name__)

Listener = Callable[[Row], object]
_listeners: list[Listener] = []


def run_ended_listener(fn: Listener) -> Listener:
    if fn not in _listeners:
        _listeners.append(fn)
    return fn


def announce(run: Row) -> None:
    """Tell every listener; one that fails is logged and the others still hear (what
    it would have done is left to the per-minute job)."""
    from shared import wiring

    wiring.wire()
    for listener in _listeners:
        try:
            listener(run)
        except Exception as exc:  # the run has ended whatever a listener makes of it
            log.warning("run %s ended, but a listener failed: %s", run["id"], exc)
