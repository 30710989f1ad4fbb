"""Structured JSON logs that Cloud Logging understands: one object per line with
``severity``, ``message`` and the request, event or trace id of the current work."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
trace: contextvars.ContextVar[str | None] = contextvars.ContextVar("trace", default=None)

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": record.levelname if record.levelname != "WARNING" else "WARNING",
            "message": record.getMessage(),
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
        }
        if rid := request_id.get():
            entry["requestId"] = rid
        if tr := trace.get():
            entry["logging.googleapis.com/trace"] = tr
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


_done = False


def setup(level: str = "INFO") -> None:
    """Send every log record to stdout as JSON. Safe to call more than once."""
    global _done
    root = logging.getLogger()
    root.setLevel(level)
    if _done:
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root.handlers[:] = [handler]
    _done = True


def get(name: str) -> logging.Logger:
    return logging.getLogger(name)
