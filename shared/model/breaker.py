"""Spreading model calls across endpoints (models, Vertex AI locations), with a circuit
breaker on each: an endpoint that answers 429 or 5xx (or times out) is left out for a
backoff period, so one saturated region or model does not stall every call.

Calls go round the endpoints in turn, skipping the open ones. Once its backoff has
passed an endpoint is tried again: success closes it, another failure opens it for a
new period. When every endpoint is open, the one that reopens first is tried rather
than none.

An endpoint's state is shared between instances when a ``SharedState`` is given (the
database's ``model_endpoint_breakers``): the instance that finds an endpoint saturated
writes when it stays out, and every other instance leaves it out too once it next reads
the shared state, which it does at most once per ``share_seconds``, from whichever call
comes first after that (the others use the copy meanwhile), so the hot path adds no
query per model call. Only an opening is written (an endpoint this instance already
knew to be out is not written again), and a closing only when an endpoint answered
while still out (every endpoint was, and it was the first to reopen). A shared state that cannot be read or written is logged and
the instance goes on with what it knows itself."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar

from shared import clock, logs

log = logs.get(__name__)
E = TypeVar("E")


@dataclass(frozen=True)
class Endpoint:
    model: str
    location: str | None = None  # Vertex AI; None with an API key

    def __str__(self) -> str:
        return f"{self.location}/{self.model}" if self.location else self.model


class SharedState(Protocol):
    """Endpoints left out, as every instance sees them, by name (``str(endpoint)``)."""

    def read(self, names: Sequence[str], now: datetime) -> dict[str, datetime]:
        """The named endpoints left out after ``now``, each until when."""
        ...

    def opened(self, name: str, until: datetime) -> None:
        """Leave the endpoint out until ``until`` (or later, if it already is)."""
        ...

    def closed(self, name: str) -> None: ...


class Breaker(Generic[E]):
    def __init__(
        self,
        endpoints: Sequence[E],
        backoff_seconds: float,
        *,
        shared: SharedState | None = None,
        share_seconds: float = 5.0,
    ) -> None:
        assert endpoints, "at least one endpoint"
        self._endpoints = list(endpoints)
        self._backoff = timedelta(seconds=backoff_seconds)
        self._open: dict[int, datetime] = {}  # endpoint index -> left out until, by us
        self._next = 0
        self._lock = threading.Lock()
        self._shared = shared
        self._share = timedelta(seconds=share_seconds)
        self._others: dict[int, datetime] = {}  # ... as the shared state said when read
        self._read_at: datetime | None = None

    def pick(self) -> E:
        """The next endpoint in turn that is not open (or the first to reopen)."""
        self._refresh()
        with self._lock:
            now, count = clock.now(), len(self._endpoints)
            for step in range(count):
                index = (self._next + step) % count
                until = self._until(index)
                if until is None or until <= now:
                    break
            else:
                index = min(range(count), key=lambda i: self._until(i) or now)
            self._next = (index + 1) % count
            return self._endpoints[index]

    def failed(self, endpoint: E) -> None:
        """The endpoint answered as a saturated one does: open it for the backoff."""
        now = clock.now()
        with self._lock:
            index = self._endpoints.index(endpoint)
            known = self._until(index)
            until = self._open[index] = now + self._backoff
        if len(self._endpoints) > 1:
            log.warning(
                "model endpoint left out",
                extra={"endpoint": str(endpoint), "seconds": self._backoff.total_seconds()},
            )
        if self._shared is not None and (known is None or known <= now):
            self._write(lambda shared: shared.opened(str(endpoint), until))

    def succeeded(self, endpoint: E) -> None:
        """The endpoint answered: it is back in. When it was still left out (every
        endpoint was, and this one reopens first), it is back in for everyone."""
        now = clock.now()
        with self._lock:
            index = self._endpoints.index(endpoint)
            until = self._until(index)
            closed = self._open.pop(index, None) is not None
            self._others.pop(index, None)
        out = until is not None and until > now
        if closed or out:
            log.info("model endpoint back in", extra={"endpoint": str(endpoint)})
        if self._shared is not None and out:
            self._write(lambda shared: shared.closed(str(endpoint)))

    def open(self) -> list[E]:
        """The endpoints left out now."""
        self._refresh()
        now = clock.now()
        with self._lock:
            return [
                e
                for i, e in enumerate(self._endpoints)
                if (until := self._until(i)) is not None and until > now
            ]

    def _until(self, index: int) -> datetime | None:
        """Until when the endpoint is left out, by us or by another instance."""
        known = [t for t in (self._open.get(index), self._others.get(index)) if t is not None]
        return max(known) if known else None

    def _refresh(self) -> None:
        """Read the shared state when the copy is older than ``share_seconds``; one
        caller reads, the others go on with the copy meanwhile."""
        if self._shared is None:
            return
        now = clock.now()
        with self._lock:
            if self._read_at is not None and now < self._read_at + self._share:
                return
            self._read_at = now
        names = [str(e) for e in self._endpoints]
        try:
            found = self._shared.read(names, now)
        except Exception as exc:  # the database is out: go on with what we know
            log.warning("shared model endpoint state not read", extra={"error": str(exc)})
            return
        with self._lock:
            self._others = {i: found[n] for i, n in enumerate(names) if n in found}

    def _write(self, change: _Change) -> None:
        assert self._shared is not None
        try:
            change(self._shared)
        except Exception as exc:  # the others learn it from their own first failure
            log.warning("shared model endpoint state not written", extra={"error": str(exc)})


class _Change(Protocol):
    def __call__(self, shared: SharedState, /) -> None: ...
