"""The one clock the code reads "now" from, in UTC.

Production reads the system clock; the local server and the tests may install another
(``use``), so a test that depends on the time sets it instead of depending on the day it
runs. The database's ``now()`` is the other clock the system has: both follow the host's
clock, which is what running the suite under libfaketime shifts."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, at: datetime) -> None:
        self._at = as_utc(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = as_utc(at)

    def advance(self, by: timedelta) -> None:
        self._at += by


def as_utc(value: datetime) -> datetime:
    """A naive datetime is taken as UTC; an aware one is converted to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


SYSTEM = SystemClock()
_current: Clock = SYSTEM


def use(clock: Clock) -> None:
    """Install the clock every later ``now()`` reads (``SYSTEM`` restores the default)."""
    global _current
    _current = clock


def now() -> datetime:
    return _current.now()


def epoch_seconds() -> int:
    """Whole seconds since the epoch, as JWT claims count them."""
    current = _current
    if current is SYSTEM:
        return int(time.time())
    return int(current.now().timestamp())
