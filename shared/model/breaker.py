"""Spreading model calls across endpoints (models, Vertex AI locations), with a circuit
breaker on each: an endpoint that answers 429 or 5xx (or times out) is left out for a
backoff period, so one saturated region or model does not stall every call.

Calls go round the endpoints in turn, skipping the open ones. Once its backoff has
passed an endpoint is tried again: success closes it, another failure opens it for a
new period. When every endpoint is open, the one that reopens first is tried rather
than none. The state is the process's own (no database round trip per model call):
each instance learns of a saturated endpoint from its own first failed call there,
which answers at once."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from shared import clock, logs

log = logs.get(__name__)
E = TypeVar("E")


@dataclass(frozen=True)
class Endpoint:
    model: str
    location: str | None = None  # Vertex AI; None with an API key

    def __str__(self) -> str:
        return f"{self.location}/{self.model}" if self.location else self.model


class Breaker(Generic[E]):
    def __init__(self, endpoints: Sequence[E], backoff_seconds: float) -> None:
        assert endpoints, "at least one endpoint"
        self._endpoints = list(endpoints)
        self._backoff = timedelta(seconds=backoff_seconds)
        self._open: dict[int, datetime] = {}  # endpoint index -> left out until
        self._next = 0
        self._lock = threading.Lock()

    def pick(self) -> E:
        """The next endpoint in turn that is not open (or the first to reopen)."""
        with self._lock:
            now, count = clock.now(), len(self._endpoints)
            for step in range(count):
                index = (self._next + step) % count
                until = self._open.get(index)
                if until is None or until <= now:
                    break
            else:
                index = min(self._open, key=lambda i: self._open[i])
            self._next = (index + 1) % count
            return self._endpoints[index]

    def failed(self, endpoint: E) -> None:
        """The endpoint answered as a saturated one does: open it for the backoff."""
        with self._lock:
            index = self._endpoints.index(endpoint)
            self._open[index] = clock.now() + self._backoff
        if len(self._endpoints) > 1:
            log.warning(
                "model endpoint left out",
                extra={"endpoint": str(endpoint), "seconds": self._backoff.total_seconds()},
            )

    def succeeded(self, endpoint: E) -> None:
        with self._lock:
            closed = self._open.pop(self._endpoints.index(endpoint), None) is not None
        if closed:
            log.info("model endpoint back in", extra={"endpoint": str(endpoint)})

    def open(self) -> list[E]:
        """The endpoints left out now."""
        now = clock.now()
        with self._lock:
            return [self._endpoints[i] for i, until in sorted(self._open.items()) if until > now]
