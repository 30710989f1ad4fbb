"""Structured JSON logs that Cloud Logging understands: one object per line on stdout
with ``severity``, ``message``, and, for a line written while a request or event is
handled, its id (``requestId``) and its trace in the special fields Cloud Logging reads
(``logging.googleapis.com/trace`` as ``projects/<project>/traces/<trace id>``,
``logging.googleapis.com/spanId``, ``logging.googleapis.com/trace_sampled``).

The ids live in a context variable bound for the length of one request
(``request_scope``) and reset after it, so a line never carries another request's id."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any, Protocol

TRACE_FIELD = "logging.googleapis.com/trace"
SPAN_FIELD = "logging.googleapis.com/spanId"
SAMPLED_FIELD = "logging.googleapis.com/trace_sampled"

# W3C trace context: version-traceid-parentid-flags, lower-case hex; a version other
# than 00 may append fields, version ff is invalid
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")
# Google's own header: TRACE_ID/SPAN_ID;o=OPTIONS, the span id in decimal
_CLOUD_TRACE = re.compile(r"([0-9a-fA-F]{32})(?:/(\d{0,20}))?(?:;o=([01]?))?")
# a caller's X-Request-Id is taken only when it is short and plain
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# the headers that name the current delivery, in order of preference: the caller's own,
# the CloudEvent's (Eventarc's binary mode: the Pub/Sub message id), functions-framework's
_ID_HEADERS = ("X-Request-Id", "ce-id", "Function-Execution-Id")


class Headers(Protocol):
    """A request's headers: werkzeug's, or a plain dict."""

    def get(self, key: str, /) -> str | None: ...


@dataclass(frozen=True)
class Trace:
    trace_id: str  # 32 lower-case hex digits
    span_id: str | None = None  # 16 lower-case hex digits
    sampled: bool | None = None


@dataclass(frozen=True)
class _Scope:
    request_id: str
    trace: str | None  # the full resource name, or None without a trace or a project
    span_id: str | None
    sampled: bool | None


_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("log_scope", default=None)


def parse_trace(headers: Headers) -> Trace | None:
    """The trace of a request: ``traceparent`` when well-formed, else
    ``X-Cloud-Trace-Context``; a malformed header counts as absent."""
    return _from_traceparent(headers.get("traceparent")) or _from_cloud_trace(
        headers.get("X-Cloud-Trace-Context")
    )


def _from_traceparent(value: str | None) -> Trace | None:
    match = _TRACEPARENT.fullmatch((value or "").strip())
    if not match:
        return None
    version, trace_id, span_id, flags, rest = match.groups()
    if version == "ff" or (version == "00" and rest) or _zero(trace_id) or _zero(span_id):
        return None
    return Trace(trace_id, span_id, bool(int(flags, 16) & 1))


def _from_cloud_trace(value: str | None) -> Trace | None:
    match = _CLOUD_TRACE.fullmatch((value or "").strip())
    if not match or _zero(match[1]):
        return None
    span = int(match[2]) if match[2] else 0
    span_id = f"{span:016x}" if 0 < span < 2**64 else None
    sampled = {"1": True, "0": False}.get(match[3] or "")
    return Trace(match[1].lower(), span_id, sampled)


def _zero(hex_digits: str) -> bool:
    return not hex_digits.strip("0")


def request_id_of(headers: Headers) -> str:
    for name in _ID_HEADERS:
        value = (headers.get(name) or "").strip()
        if _REQUEST_ID.fullmatch(value):
            return value
    return uuid.uuid4().hex


@contextmanager
def request_scope(headers: Headers, project: str | None) -> Iterator[str]:
    """Tag every line logged inside with this request's id and trace; yields the id.
    Inside a scope already bound (the function's frame binds one per request) it binds
    nothing and yields that scope's id. Without a project the trace field is left out:
    Cloud Logging only links ``projects/<project>/traces/<id>``."""
    current = _scope.get()
    if current is not None:
        yield current.request_id
        return
    trace = parse_trace(headers)
    scope = _Scope(
        request_id_of(headers),
        f"projects/{project}/traces/{trace.trace_id}" if trace and project else None,
        trace.span_id if trace and project else None,
        trace.sampled if trace and project else None,
    )
    token = _scope.set(scope)
    try:
        yield scope.request_id
    finally:
        _scope.reset(token)


def current_request_id() -> str | None:
    scope = _scope.get()
    return scope.request_id if scope else None


_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": record.levelname,
            "message": record.getMessage(),
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
        }
        if scope := _scope.get():
            entry["requestId"] = scope.request_id
            if scope.trace:
                entry[TRACE_FIELD] = scope.trace
                if scope.span_id:
                    entry[SPAN_FIELD] = scope.span_id
                if scope.sampled is not None:
                    entry[SAMPLED_FIELD] = scope.sampled
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is when a line is written, so a stream swapped
    after start-up (a test's capture, a redirect) gets the lines rather than a closed one."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self) -> IO[str]:
        return sys.stdout

    @stream.setter
    def stream(self, value: IO[str]) -> None:
        pass


def setup(level: str = "INFO") -> None:
    """Send every log record to stdout as JSON at ``level``. Safe to call more than once:
    the handler is added once, the level follows the last call."""
    root = logging.getLogger()
    root.setLevel(level)
    if not any(isinstance(h, _StdoutHandler) for h in root.handlers):
        handler = _StdoutHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)


def get(name: str) -> logging.Logger:
    return logging.getLogger(name)
