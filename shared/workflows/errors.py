"""How a step fails: with a message for the run's record, and what it had produced."""

from __future__ import annotations

from typing import Any


class StepFailed(Exception):
    def __init__(self, message: str, *, output: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.output = output
