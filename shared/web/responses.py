"""JSON responses, shaped by their route's model, and the one place errors become
HTTP status codes."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from flask import Response
from pydantic import BaseModel, TypeAdapter, ValidationError

from shared.errors import AppError, RateLimited
from shared.logs import get

log = get(__name__)

# a 429 always says when to come back; this when the limit did not say itself
DEFAULT_RETRY_AFTER = 30


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(body: Any) -> str:
    return json.dumps(body, default=_default, allow_nan=False)


def shaped(model: TypeAdapter[Any], body: Any, where: str) -> Any:
    """``body`` passed through its response model: validated (a key the model does not
    name, a missing one or a value of another type is a bug of the handler: 500, with
    the mismatch in the log) and dumped with exactly the keys the handler gave
    (``exclude_unset``). The dump keeps Python values (datetime, UUID, Decimal), so
    they go out as ``dumps`` has always written them."""
    try:
        value = model.validate_python(body)
    except ValidationError as exc:
        raise AppError(f"the answer of {where} does not fit its response model: {exc}") from exc
    return model.dump_python(value, mode="python", by_alias=True, exclude_unset=True)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(body), status=status, headers=headers, mimetype="application/json")


def error_response(exc: BaseException) -> Response:
    if isinstance(exc, AppError) and (exc.status < 500 or exc.status in (502, 503)):
        body: dict[str, Any] = {"error": exc.message}
        body.update(exc.details)
        headers = {}
        if isinstance(exc, RateLimited):
            wait = exc.retry_after if exc.retry_after is not None else DEFAULT_RETRY_AFTER
            headers["Retry-After"] = str(max(1, math.ceil(wait)))
        if exc.status >= 500:
            log.warning("request failed: %s", exc.message)
        return json_response(body, exc.status, headers)
    log.error("unhandled error", exc_info=exc)
    return json_response({"error": "internal error"}, 500)
