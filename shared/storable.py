"""JSON we can store and read back: bounded in nesting and size, and free of what
PostgreSQL cannot hold.

PostgreSQL's text and jsonb refuse U+0000, UTF-8 cannot encode a lone surrogate, and
JSON has no NaN or Infinity. Past some hundreds of levels of nesting, every recursive
reader fails with ``RecursionError``: ``json.loads`` and ``json.dumps``, the driver
decoding a jsonb column, pydantic, the templates. So every entry point that stores JSON
from outside (API bodies, http step responses, agent outputs, event payloads) passes it
through here, and whatever is stored can be read, serialised and published again.

Nothing here recurses: JSON text is measured for depth before ``json.loads`` sees it,
and values are walked with an explicit stack. The bounds are ``JSON_MAX_DEPTH`` and
``JSON_MAX_BYTES`` (the size of the value as compact UTF-8 JSON)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from shared.config import Settings, get_settings
from shared.errors import Invalid

# a string, or an unterminated one to the end of the text: possessive, so that no
# input makes the scan go back over what it read
_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_SURROGATE = re.compile("[\ud800-\udfff]")
_UNSAFE = re.compile("[\x00\ud800-\udfff]")


@dataclass(frozen=True)
class Bounds:
    max_depth: int
    max_bytes: int

    @classmethod
    def of(cls, settings: Settings | None = None) -> Bounds:
        settings = settings or get_settings()
        return cls(settings.json_max_depth, settings.json_max_bytes)


class Unstorable(Invalid):
    """A JSON value (or text) we refuse to store; ``where`` is a dotted path to the part
    at fault (the name of the whole value when the whole is at fault)."""

    def __init__(self, where: str, problem: str, *, status: int = 422) -> None:
        super().__init__(f"{where}: {problem}", status=status)
        self.where, self.problem = where, problem


def too_deep(bounds: Bounds) -> str:
    return f"is nested deeper than {bounds.max_depth} levels (JSON_MAX_DEPTH)"


def too_large(bounds: Bounds) -> str:
    return f"is larger than {bounds.max_bytes} bytes of JSON"


def text_depth(text: str) -> int:
    """How deeply JSON text nests arrays and objects, counted without parsing it.
    Brackets inside strings do not count; for text that is not JSON the count only
    has to be at least what a parser would reach before it gives up."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def loads(
    raw: str | bytes,
    bounds: Bounds,
    *,
    what: str,
    parse_float: Callable[[str], Any] | None = None,
) -> Any:
    """Parse JSON text within the bounds. ``Unstorable`` (413 for size, 400 for depth)
    when it is past them, ``ValueError`` when it is not JSON. The value's contents are
    not checked: see ``check``."""
    size = len(raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw)
    if size > bounds.max_bytes:
        raise Unstorable(what, too_large(bounds), status=413)
    text = raw if isinstance(raw, str) else raw.decode(json.detect_encoding(raw), "surrogatepass")
    if text_depth(text) > bounds.max_depth:
        raise Unstorable(what, too_deep(bounds), status=400)
    return json.loads(text, parse_float=parse_float)


def problem(value: Any, bounds: Bounds, *, name: str = "value") -> Unstorable | None:
    """The first part of ``value`` we cannot store, as the error naming it (a dotted
    path from ``name``); ``None`` when the whole value can be stored. Sizes are counted
    from below (characters, no separators), so a value refused here is too large."""
    size = 0
    stack: list[tuple[str, Any, int]] = [(name, value, 0)]
    while stack:
        where, item, depth = stack.pop()
        if isinstance(item, dict | list | tuple):
            if depth >= bounds.max_depth:
                return Unstorable(where, too_deep(bounds))
            keyed = isinstance(item, dict)
            children = []
            for key, child in item.items() if isinstance(item, dict) else enumerate(item):
                path = f"{where}.{_segment(key)}"
                if keyed:
                    found = _text_problem(str(key))
                    if found is not None:
                        return Unstorable(path, found)
                    size += len(str(key)) + 3
                children.append((path, child, depth + 1))
            stack.extend(reversed(children))  # popped in the order they are written
            size += 2
        else:
            found, cost = _scalar_problem(item)
            if found is not None:
                return Unstorable(where, found)
            size += cost
        if size > bounds.max_bytes:
            return Unstorable(name, too_large(bounds), status=413)
    return None


def check(value: Any, bounds: Bounds, *, name: str = "value") -> None:
    """``Unstorable`` naming the first part of ``value`` we cannot store."""
    found = problem(value, bounds, name=name)
    if found is not None:
        raise found


def dumps(value: Any, bounds: Bounds, *, name: str = "value") -> str:
    """The value as the JSON text to store, after ``check``; its exact size is checked
    on the text itself."""
    check(value, bounds, name=name)
    text = json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))
    if len(text.encode()) > bounds.max_bytes:
        raise Unstorable(name, too_large(bounds), status=413)
    return text


def _scalar_problem(item: Any) -> tuple[str | None, int]:
    """What is wrong with a leaf (``None`` when nothing) and the fewest bytes of JSON it
    takes. A value that is not JSON is stored as its text (``default=str``)."""
    if item is None or isinstance(item, bool):
        return None, 4
    if isinstance(item, int):
        return None, max(1, item.bit_length() * 3 // 10)
    if isinstance(item, float):
        finite = math.isfinite(item)
        return (None if finite else "is not a finite number, which JSON cannot hold"), 1
    text = item if isinstance(item, str) else str(item)
    return _text_problem(text), len(text) + 2


def scrub(text: str) -> str:
    """The text with each NUL and lone surrogate replaced by U+FFFD: for keeping what
    was refused (a rejected delivery's body, a path in a message) where it can be read."""
    return _UNSAFE.sub("\ufffd", text)


def _segment(key: Any) -> str:
    """A key as the path names it: long keys are cut, so the message stays readable."""
    text = scrub(str(key))
    return text if len(text) <= 40 else text[:40] + "..."


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character (\\u0000), which PostgreSQL cannot store"
    lone = _SURROGATE.search(text)
    if lone is not None:
        return f"contains a lone surrogate (\\u{ord(lone.group()):04x}), which UTF-8 cannot encode"
    return None
