"""How a step fails: with a message for the run's record, what it had produced, and
whether a later attempt may succeed (``shared.workflows.retries``); and how a step
says it is not done yet."""

from __future__ import annotations

from datetime import datetime
from typing import Any


class StepFailed(Exception):
    def __init__(self, message: str, *, output: Any = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.output = output
        self.retryable = retryable


class StepWaits(Exception):  # not an error: the step's time has not come
    """The step is to be executed again at ``until``; the run sleeps until then. With
    ``event`` (what a ``waitForEvent`` step waits for), the run waits for that event
    instead, and ``until`` is when the wait times out."""

    def __init__(self, until: datetime, event: dict[str, Any] | None = None) -> None:
        super().__init__(until.isoformat())
        self.until = until
        self.event = event
