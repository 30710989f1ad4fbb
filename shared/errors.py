"""The one error family. Adapters translate driver and SDK errors into these at the
boundary; one place (``shared.web.responses``) maps them to HTTP status codes."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """An error a caller can act on. ``status`` is the HTTP status it maps to."""

    status = 500

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class Invalid(AppError):
    """Valid JSON with invalid values (422), or unparseable input when ``status=400``."""

    status = 422

    def __init__(
        self, message: str, *, status: int = 422, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message, details=details)
        self.status = status


class BadRequest(Invalid):
    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, status=400, details=details)


class Unauthorized(AppError):
    status = 401


class Forbidden(AppError):
    """Known, and refused to this caller (a browser origin CORS does not admit)."""

    status = 403


class NotFound(AppError):
    status = 404


class Conflict(AppError):
    status = 409


class TooLarge(AppError):
    status = 413


class RateLimited(AppError):
    status = 429

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Retryable(AppError):
    """A failure that a later attempt may not meet (a database or a service down)."""

    status = 503


class Permanent(AppError):
    """A failure of an outside service that a retry cannot fix."""

    status = 502


class ConfigError(AppError):
    """Settings are missing or wrong; raised at start-up, naming every variable."""

    status = 500
