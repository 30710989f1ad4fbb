"""Reading a request's JSON body: the size limit (413), JSON as JSON Schema reads it
(400 when it is not JSON), strict validation against the route's model (422 naming
the field), and no NUL character in anything that will be stored (422)."""

from __future__ import annotations

import json
import math
from typing import Any

from flask import Request
from pydantic import BaseModel, ValidationError

from shared.config import get_settings
from shared.errors import BadRequest, Invalid, TooLarge


def read_raw(request: Request) -> bytes:
    """The request's body as bytes, read with the size limit: 413 past it."""
    limit = get_settings().max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(f"request body larger than {limit} bytes")
    raw: bytes = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise TooLarge(f"request body larger than {limit} bytes")
    return raw


def _json_number(text: str) -> float | int:
    """A JSON number with a fraction or exponent. JSON Schema's ``integer`` admits 5.0,
    so an integral one is read as the integer it is."""
    value = float(text)
    return int(value) if math.isfinite(value) and value.is_integer() else value


def loads(raw: bytes) -> Any:
    """Parse a request's JSON as JSON Schema reads it (5.0 is an integer); 400 when it
    is not JSON. NaN and Infinity are read as numbers, so that the field they are in is
    named when they are refused (see ``refuse_unstorable``)."""
    try:
        return json.loads(raw, parse_float=_json_number)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("request body is not valid JSON") from None


def parse_json(raw: bytes) -> Any:
    """``None`` for an empty body; 400 when it is not JSON."""
    return loads(raw) if raw.strip() else None


def read_json(request: Request, *, storable: bool = True) -> Any:
    """The request's JSON, read with the size limit: 413 past it, 400 when not JSON.
    ``storable``: 422 naming the field that holds what PostgreSQL cannot store."""
    data = parse_json(read_raw(request))
    if storable:
        refuse_unstorable(data)
    return data


def refuse_unstorable(value: Any) -> None:
    """PostgreSQL's text and jsonb hold neither U+0000 nor NaN and Infinity: refuse them
    up front (422 naming where) instead of failing when the value is written."""
    where = unstorable_at(value, "")
    if where is not None:
        raise Invalid(
            f"{where[0] or 'body'}: {where[1]}, which cannot be stored",
        )


def unstorable_at(value: Any, where: str) -> tuple[str, str] | None:
    """Where the first unstorable value is (a dotted path) and what it is; ``None``
    when there is none."""
    if isinstance(value, str):
        return (where, "contains a NUL character (\\u0000)") if "\x00" in value else None
    if isinstance(value, float) and not math.isfinite(value):
        return where, "is not a finite number"
    items: Any = ()
    if isinstance(value, dict):
        for key in value:
            if "\x00" in key:
                return f"{where}.{key!r}".lstrip("."), "contains a NUL character (\\u0000)"
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    for key, item in items:
        found = unstorable_at(item, f"{where}.{key}".lstrip("."))
        if found is not None:
            return found
    return None


def validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:10]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    return "invalid request body: " + "; ".join(parts)


def parse_body(request: Request, model: type[BaseModel]) -> BaseModel:
    """The body validated by ``model``; an empty body is ``{}``. Validation is strict,
    as the document reads: ``"5"`` is not a number and ``false`` is not 0 (5.0 is 5).
    Keys the model ignores may hold anything; what it keeps must be storable."""
    raw = read_raw(request)
    data = loads(raw) if raw.strip() else {}
    if not isinstance(data, dict):
        raise BadRequest("request body must be a JSON object")
    try:
        body = model.model_validate_json(json.dumps(data), strict=True)
    except ValidationError as exc:
        raise Invalid(validation_message(exc)) from None
    refuse_unstorable(body.model_dump(by_alias=True))
    return body
