"""Step inputs as templates over what a run knows: ``{{trigger.*}}``, ``{{input.*}}``
and ``{{steps.<id>.output.*}}``.

Rules: a string that is exactly one placeholder takes the value's own JSON type (an
object stays an object, a number a number); placeholders inside a longer string are
replaced by text (strings as they are, everything else as compact JSON). A path that
does not exist renders as ``null`` when it is the whole string and as ``""`` inside a
longer one. Templates are looked up, never evaluated: a placeholder is a dotted path
and nothing else. Object keys are not templated, only values."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from shared import conditions

ROOTS = frozenset({"trigger", "input", "steps"})
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_PATH = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")


class TemplateError(ValueError):
    """A placeholder that can never resolve (bad root or malformed path)."""


def placeholders(value: Any) -> Iterator[str]:
    """Every placeholder path in a JSON value, in order."""
    if isinstance(value, str):
        for match in PLACEHOLDER.finditer(value):
            yield match.group(1)
    elif isinstance(value, dict):
        for item in value.values():
            yield from placeholders(item)
    elif isinstance(value, list):
        for item in value:
            yield from placeholders(item)


def referenced_steps(path: str) -> str | None:
    """Check one placeholder path; return the step id it reads, if any."""
    if not _PATH.match(path):
        raise TemplateError(f"{{{{{path}}}}} is not a dotted path")
    parts = path.split(".")
    if parts[0] not in ROOTS:
        raise TemplateError(f"{{{{{path}}}}} must start with trigger, input or steps.<id>.output")
    if parts[0] == "steps":
        if len(parts) < 3 or parts[2] != "output":
            raise TemplateError(f"{{{{{path}}}}} must read steps.<id>.output")
        return parts[1]
    return None


def render(value: Any, scope: dict[str, Any]) -> Any:
    """Render a JSON value against ``scope`` (keys ``trigger``, ``input``, ``steps``)."""
    if isinstance(value, str):
        return _render_string(value, scope)
    if isinstance(value, dict):
        return {k: render(v, scope) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, scope) for v in value]
    return value


def _lookup(scope: dict[str, Any], path: str) -> Any:
    found = conditions.resolve(scope, path)
    return None if found is conditions.MISSING else found


def _render_string(text: str, scope: dict[str, Any]) -> Any:
    whole = PLACEHOLDER.fullmatch(text)
    if whole:
        return _lookup(scope, whole.group(1))
    return PLACEHOLDER.sub(lambda m: _as_text(_lookup(scope, m.group(1))), text)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
