"""Reading an answer as strict JSON and checking that every number in it is finite:
what a client's JSON parser needs, whatever the stored values were."""

from __future__ import annotations

import json
import math
from typing import Any


def fractions(value: Any) -> list[float]:
    """Every non-integer number in a JSON value (an integer is always finite)."""
    if isinstance(value, dict):
        return [n for v in value.values() for n in fractions(v)]
    if isinstance(value, list):
        return [n for v in value for n in fractions(v)]
    return [value] if isinstance(value, float) else []


def finite_json(res: Any) -> Any:
    """The body of a 2xx answer; fails on another status, on ``Infinity`` or ``NaN``
    (which strict JSON has not) and on any number that is not finite."""
    assert 200 <= res.status_code < 300, (res.status_code, res.get_data(as_text=True))
    text = res.get_data(as_text=True)
    body = json.loads(text, parse_constant=lambda name: not_strict(f"{name} in {text[:200]}"))
    assert all(math.isfinite(n) for n in fractions(body))
    return body


def not_strict(message: str) -> Any:
    raise AssertionError(f"not strict JSON: {message}")
