"""Reading a request's JSON body: the size limit (413), JSON as JSON Schema reads it
(400 when it is not JSON or nests past ``JSON_MAX_DEPTH``), strict validation against
the route's model (422 naming the field), and nothing in what will be stored that
PostgreSQL cannot hold (422, see ``shared.storable``)."""

from __future__ import annotations

import json
import math
from typing import Any

from flask import Request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from shared.config import get_settings
from shared.errors import BadRequest, Invalid, TooLarge
from shared.storable import Bounds, check
from shared.storable import loads as bounded_loads

# what JSON counts as white space (RFC 8259); bytes.strip() would also take \f and \v
JSON_WHITESPACE = b" \t\r\n"


def read_raw(request: Request) -> bytes:
    """The request's body as bytes, read with the size limit: 413 past it. Werkzeug
    enforces the limit while reading, so no more than that is ever held; the bytes are
    kept on the request, for whatever reads it next."""
    limit = get_settings().max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(f"request body larger than {limit} bytes")
    request.max_content_length = limit
    try:
        return request.get_data()
    except RequestEntityTooLarge:
        raise TooLarge(f"request body larger than {limit} bytes") from None


def _json_number(text: str) -> float | int:
    """A JSON number with a fraction or exponent. JSON Schema's ``integer`` admits 5.0,
    so an integral one is read as the integer it is."""
    value = float(text)
    return int(value) if math.isfinite(value) and value.is_integer() else value


def loads(raw: bytes) -> Any:
    """Parse a request's JSON as JSON Schema reads it (5.0 is an integer); 400 when it
    is not JSON or nests too deep. NaN and Infinity are read as numbers, so that the
    field they are in is named when they are refused (see ``refuse_unstorable``)."""
    try:
        return bounded_loads(raw, Bounds.of(), what="request body", parse_float=_json_number)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("request body is not valid JSON") from None


def parse_json(raw: bytes) -> Any:
    """``None`` for an empty body (nothing but JSON white space); 400 when it is not JSON."""
    return loads(raw) if raw.strip(JSON_WHITESPACE) else None


def read_json(request: Request, *, storable: bool = True) -> Any:
    """The request's JSON, read with the size limit: 413 past it, 400 when not JSON.
    ``storable``: 422 naming the field that holds what PostgreSQL cannot store."""
    data = parse_json(read_raw(request))
    if storable:
        refuse_unstorable(data)
    return data


def refuse_unstorable(value: Any) -> None:
    """Refuse up front (422 naming where, 413 past ``JSON_MAX_BYTES``) what could not be
    stored, instead of failing when the value is written."""
    check(value, Bounds.of(), name="body")


def validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:10]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    return "invalid request body: " + "; ".join(parts)


def parse_body(request: Request, model: type[BaseModel]) -> BaseModel:
    """The body validated by ``model``; an empty body is ``{}``. Validation is strict,
    as the document reads: ``"5"`` is not a number and ``false`` is not 0 (5.0 is 5).
    The whole body must be storable, checked first: the model reads a copy of it as
    JSON text, where a lone surrogate would only be "Invalid JSON" at some column."""
    raw = read_raw(request)
    # an empty body is {}; white space alone is not a JSON text (400), and the JSON
    # text null is a value, not an object
    data = loads(raw) if raw else {}
    if not isinstance(data, dict):
        raise BadRequest("request body must be a JSON object")
    refuse_unstorable(data)
    try:
        return model.model_validate_json(json.dumps(data), strict=True)
    except ValidationError as exc:
        raise Invalid(validation_message(exc)) from None
