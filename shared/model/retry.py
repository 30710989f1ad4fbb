"""Bounded retries with exponential backoff and jitter around one model request.

The SDK does not retry unless told to; we retry here instead so every attempt is
counted in ``Usage.calls`` (callers account for cost per attempt) and so timeouts and
transport errors are retried by the same rule as 408/429/5xx replies."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from shared import logs
from shared.model.port import ModelFailure, Usage

R = TypeVar("R")
MAX_BACKOFF_SECONDS = 30.0
log = logs.get(__name__)


@dataclass(frozen=True)
class Fault:
    """What a failed attempt means: its ``ModelFailure`` kind, whether another attempt
    may help, and how long the server asked us to wait (429 RetryInfo), if it did."""

    kind: str
    message: str
    retry: bool
    retry_after: float | None = None


Classify = Callable[[BaseException], Fault | None]


def backoff(attempt: int, base: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed ``attempt`` (1-based): ``base * 2**(attempt-1)``,
    capped, with equal jitter (half fixed, half random) so clients spread out."""
    delay = min(MAX_BACKOFF_SECONDS, base * 2.0 ** (attempt - 1))
    return delay / 2 + (rng or random).uniform(0, delay / 2)


def retrying(
    request: Callable[[], R],
    *,
    classify: Classify,
    usage: Usage,
    attempts: int,
    base_delay: float,
    patience: float,
    what: str,
) -> R:
    """Run ``request`` up to ``attempts`` times. Exceptions ``classify`` does not know
    propagate unchanged; known ones become ``ModelFailure`` once retrying cannot help.
    A server asking us to wait longer than ``patience`` seconds is not waited for."""
    for attempt in range(1, attempts + 1):
        usage.calls += 1
        try:
            return request()
        except Exception as exc:
            fault = classify(exc)
            if fault is None:
                raise
            failure = ModelFailure(
                f"{what}: {fault.message}",
                kind=fault.kind,
                usage=usage,
                retry_after=fault.retry_after,
            )
            too_long = fault.retry_after is not None and fault.retry_after > patience
            if not fault.retry or attempt == attempts or too_long:
                log.warning(
                    "model request failed",
                    extra={"operation": what, "kind": fault.kind, "attempts": attempt},
                )
                raise failure from exc
            delay = max(backoff(attempt, base_delay), fault.retry_after or 0.0)
            log.info(
                "model request retried",
                extra={"operation": what, "kind": fault.kind, "attempt": attempt},
            )
            time.sleep(delay)
    raise AssertionError("unreachable: attempts >= 1")
