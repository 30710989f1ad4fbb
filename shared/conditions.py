"""The one condition language, shared by event triggers and workflow ``condition`` steps.

A condition set is a JSON object; every entry must hold for it to match:

- ``{"field": value}`` is equality (JSON equality: ``1`` equals ``1.0``, ``true`` is
  not ``1``); a dotted field (``"post.stats.views"``) reaches into nested objects,
  and a numeric part indexes a list (``"tags.0"``).
- ``{"field": {"$op": operand, ...}}`` tests with operators, all of which must hold:
  ``$in`` (list), ``$ne``, ``$gt`` ``$gte`` ``$lt`` ``$lte`` (number or string;
  compares only like with like), ``$exists`` (boolean), ``$contains`` (substring of a
  string, or an element of a list).

A missing field matches only ``$exists: false`` and ``$ne``. Sets are checked with
``validate`` when they are saved, so an unknown operator is refused up front and
never silently ignored when it is evaluated."""

from __future__ import annotations

from typing import Any

from shared.errors import BadRequest

OPERATORS = frozenset({"$in", "$ne", "$gt", "$gte", "$lt", "$lte", "$exists", "$contains"})
MAX_ENTRIES = 50
MAX_DEPTH = 6  # nesting of the operand values below a field
MAX_FIELD_LENGTH = 200
MAX_IN_ITEMS = 500

MISSING: Any = object()  # what resolve() answers for a path that does not exist


def validate(conditions: Any) -> None:
    """Raise ``BadRequest`` naming what is wrong: a non-object, an unknown operator, an
    operand of the wrong type, or nesting deeper than ``MAX_DEPTH``."""
    if conditions is None:
        return
    if not isinstance(conditions, dict):
        raise BadRequest("conditions must be a JSON object")
    if len(conditions) > MAX_ENTRIES:
        raise BadRequest(f"conditions: at most {MAX_ENTRIES} entries")
    for field, expected in conditions.items():
        _check_field(field)
        if _is_operator_object(expected):
            _check_operators(field, expected)
        else:
            _check_depth(field, expected, 1)


def _check_field(field: Any) -> None:
    if not isinstance(field, str) or not field or len(field) > MAX_FIELD_LENGTH:
        raise BadRequest(f"conditions: field names are 1..{MAX_FIELD_LENGTH} characters")
    if field.startswith("$"):
        raise BadRequest(f"conditions: {field!r} is an operator where a field name belongs")
    if any(part == "" for part in field.split(".")):
        raise BadRequest(f"conditions: field {field!r} has an empty part")


def _is_operator_object(value: Any) -> bool:
    return isinstance(value, dict) and any(isinstance(k, str) and k.startswith("$") for k in value)


def _check_operators(field: str, ops: dict[str, Any]) -> None:
    for op, operand in ops.items():
        if not op.startswith("$"):
            raise BadRequest(
                f"conditions: {field}: {op!r} mixed with operators (use only $-operators)"
            )
        if op not in OPERATORS:
            raise BadRequest(
                f"conditions: {field}: unknown operator {op!r} "
                f"(known: {', '.join(sorted(OPERATORS))})"
            )
        if op == "$in":
            if not isinstance(operand, list):
                raise BadRequest(f"conditions: {field}: $in takes a list")
            if len(operand) > MAX_IN_ITEMS:
                raise BadRequest(f"conditions: {field}: $in takes at most {MAX_IN_ITEMS} items")
        elif op in ("$gt", "$gte", "$lt", "$lte"):
            if not (_is_number(operand) or isinstance(operand, str)):
                raise BadRequest(f"conditions: {field}: {op} takes a number or a string")
        elif op == "$exists" and not isinstance(operand, bool):
            raise BadRequest(f"conditions: {field}: $exists takes true or false")
        _check_depth(field, operand, 2)


def _check_depth(field: str, value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise BadRequest(f"conditions: {field}: nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        for item in value.values():
            _check_depth(field, item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_depth(field, item, depth + 1)


def matches(conditions: dict[str, Any] | None, subject: dict[str, Any]) -> bool:
    """Whether every entry holds for ``subject``. An empty set matches everything."""
    if not conditions:
        return True
    for field, expected in conditions.items():
        actual = resolve(subject, field)
        if _is_operator_object(expected):
            if not all(_holds(op, operand, actual) for op, operand in expected.items()):
                return False
        elif actual is MISSING or not same(actual, expected):
            return False
    return True


def resolve(subject: Any, field: str) -> Any:
    """The value at a dotted path, or the module's missing marker."""
    current = subject
    for part in field.split("."):
        if isinstance(current, dict):
            if part not in current:
                return MISSING
            current = current[part]
        elif isinstance(current, list) and part.isdigit():
            index = int(part)
            if index >= len(current):
                return MISSING
            current = current[index]
        else:
            return MISSING
    return current


def _holds(op: str, operand: Any, actual: Any) -> bool:
    if op == "$exists":
        return (actual is not MISSING) is bool(operand)
    if op == "$ne":
        return actual is MISSING or not same(actual, operand)
    if actual is MISSING:
        return False
    if op == "$in":
        return any(same(actual, item) for item in operand)
    if op == "$contains":
        if isinstance(actual, str):
            return isinstance(operand, str) and operand in actual
        if isinstance(actual, list):
            return any(same(item, operand) for item in actual)
        return False
    if op in ("$gt", "$gte", "$lt", "$lte"):
        return _compare(op, actual, operand)
    raise BadRequest(f"unknown operator {op!r}")  # validate() refuses these earlier


def _compare(op: str, actual: Any, operand: Any) -> bool:
    comparable = (_is_number(actual) and _is_number(operand)) or (
        isinstance(actual, str) and isinstance(operand, str)
    )
    if not comparable:
        return False
    if op == "$gt":
        return bool(actual > operand)
    if op == "$gte":
        return bool(actual >= operand)
    if op == "$lt":
        return bool(actual < operand)
    return bool(actual <= operand)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def same(a: Any, b: Any) -> bool:
    """JSON equality: booleans are not numbers, and containers compare deeply."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)
