"""What a google-genai exception means for us: which ``ModelFailure`` kind, and whether
another attempt may help. The SDK and its HTTP libraries are imported lazily."""

from __future__ import annotations

import importlib
import json
from functools import cache
from typing import Any

from shared.model.retry import Fault

RETRYABLE_STATUS = {408, 429, 500, 502, 503, 504}


@cache
def _transport_errors() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """(timeouts, all transport errors) of whichever HTTP stacks the SDK may use:
    httpx or its fork httpx2, and requests under google-auth's mTLS session."""
    timeouts: list[type[BaseException]] = [TimeoutError]
    transport: list[type[BaseException]] = [TimeoutError, ConnectionError]
    for module, timeout, base in (
        ("httpx", "TimeoutException", "TransportError"),
        ("httpx2", "TimeoutException", "TransportError"),
        ("requests.exceptions", "Timeout", "ConnectionError"),
    ):
        try:
            found = importlib.import_module(module)
        except ImportError:
            continue
        timeouts.append(getattr(found, timeout))
        transport.append(getattr(found, base))
    return tuple(timeouts), tuple(transport)


def retry_delay(details: Any) -> float | None:
    """The ``retryDelay`` of a google.rpc.RetryInfo in an error body ("37s"), if any."""
    error = details.get("error") if isinstance(details, dict) else None
    for detail in (error or {}).get("details") or []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
            try:
                return float(str(detail.get("retryDelay", "")).rstrip("s"))
            except ValueError:
                return None
    return None


def classify(exc: BaseException) -> Fault | None:
    """Translate an exception raised by a google-genai call; ``None`` for exceptions
    that are not the model's (they propagate as the bugs they are)."""
    from google.auth import exceptions as auth_errors
    from google.genai import errors

    if isinstance(exc, errors.APIError):
        code = int(exc.code or 0)
        message = f"{code} {exc.status or ''} {exc.message or ''}".strip()
        if code == 429:
            return Fault("rate_limited", message, True, retry_delay(exc.details))
        if code in RETRYABLE_STATUS or code >= 500:
            return Fault("retryable", message, True)
        return Fault("permanent", message, False)
    timeouts, transport = _transport_errors()
    if isinstance(exc, timeouts):
        return Fault("retryable", "timed out", True)
    if isinstance(exc, transport):
        return Fault("retryable", f"transport error: {type(exc).__name__}", True)
    if isinstance(exc, json.JSONDecodeError):
        return Fault("retryable", "the reply body was not JSON", True)
    if isinstance(exc, auth_errors.GoogleAuthError):
        return Fault("permanent", f"credentials: {type(exc).__name__}", False)
    if isinstance(exc, errors.UnknownApiResponseError | ValueError):
        return Fault("permanent", f"request refused by the SDK: {exc}", False)
    return None
