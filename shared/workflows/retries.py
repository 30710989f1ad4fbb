"""When a failed step is attempted again, and how long it waits first.

A step fails for a reason a retry can fix (``StepFailed(retryable=True)``: a model
that is rate limited, overloaded or timed out, an HTTP 5xx/429/408 answer, a timeout,
a connection that failed) or for one it cannot (a 4xx, a template that does not
render, a refused URL): only the first kind is retried, up to the step's ``retries``.
The wait after failed attempt *n* is ``backoffSeconds * 2**(n-1)``, capped, with
equal jitter (half fixed, half random) so runs that failed together spread out.

A wait of at most ``INLINE_WAIT_SECONDS`` is waited by the executor, as someone who
pressed "run" expects a blip to be ridden out within the answer; a longer wait does
not hold a process: the run is checkpointed ``sleeping`` until ``wake_at`` and the
per-minute job wakes it."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

DEFAULT_RETRIES = 3
MAX_RETRIES = 10
DEFAULT_BACKOFF_SECONDS = 1.0
MIN_BACKOFF_SECONDS = 0.1
MAX_BACKOFF_SECONDS = 3600.0
MAX_WAIT_SECONDS = 24 * 3600.0
INLINE_WAIT_SECONDS = 5.0


def wait_after(attempt: int, backoff: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed ``attempt`` (1-based) before the next one."""
    delay = min(MAX_WAIT_SECONDS, backoff * 2.0 ** (attempt - 1))
    return delay / 2 + (rng or random).uniform(0, delay / 2)


def attempt_of(record: dict[str, Any]) -> dict[str, Any]:
    """What the step's record keeps of one attempt."""
    return {
        "startedAt": record.get("startedAt"),
        "error": record.get("error"),
        "durationMs": record.get("durationMs"),
    }


def waiting(record: dict[str, Any], until: datetime) -> dict[str, Any]:
    """The record of a step that is to be attempted again at ``until``."""
    return {**record, "status": "waiting", "nextAttemptAt": until.isoformat()}
