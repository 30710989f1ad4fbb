"""The shape of a JSON object output, and the schema a regeneration must fit.

A string output stays a string. An object output keeps its keys and the JSON type of
each value: strings stay strings, integers integers, other numbers numbers,
booleans booleans, objects objects of the same shape, arrays arrays whose items keep
the one shape all original items shared (any items when they had none in common or
the array was empty). A ``null`` says nothing about a type, so any value may replace
it. The schema for a shape is a pydantic model built once per shape and cached, so
Gemini decodes against it and every reply is validated against it."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

# A shape is hashable: "string" | "integer" | "number" | "boolean" | "any"
# | ("array", shape) | ("object", ((key, shape), ...))
Shape = Any
SHAPE_CACHE = 256


def shape_of(value: Any) -> Shape:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return ("object", tuple((str(k), shape_of(v)) for k, v in value.items()))
    if isinstance(value, list):
        items = {shape_of(v) for v in value}
        return ("array", items.pop() if len(items) == 1 else "any")
    return "any"


def _python_type(shape: Shape, name: str) -> Any:
    if shape == "string":
        return str
    if shape == "integer":
        return int
    if shape == "number":
        return float
    if shape == "boolean":
        return bool
    if shape == "any":
        return Any
    kind, inner = shape
    if kind == "array":
        return list[_python_type(inner, f"{name}Item")]  # type: ignore[misc]
    return _object_model(inner, name)


def _object_model(fields: tuple[tuple[str, Shape], ...], name: str) -> type[BaseModel]:
    """Field names are positional (``f0``...) with the real key as alias, so keys that
    are not identifiers, or that clash with pydantic's own names, still work."""
    definitions: dict[str, Any] = {
        f"f{i}": (_python_type(shape, f"{name}_{i}"), Field(alias=key))
        for i, (key, shape) in enumerate(fields)
    }
    return create_model(
        name,
        __config__=ConfigDict(strict=True, populate_by_name=False, extra="ignore"),
        **definitions,
    )


@lru_cache(maxsize=SHAPE_CACHE)
def revision_schema(shape: Shape) -> type[BaseModel]:
    """The schema a regeneration of an object with ``shape`` answers with."""
    kind, fields = shape
    assert kind == "object", "only object outputs have a revision schema"
    return _object_model(fields, "ObjectRevision")


def fits(value: Any, shape: Shape) -> bool:
    """Whether ``value`` has ``shape`` (the same check the revision schema makes)."""
    if shape == "any":
        return True
    if shape == "string":
        return isinstance(value, str)
    if shape == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if shape == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if shape == "boolean":
        return isinstance(value, bool)
    kind, inner = shape
    if kind == "array":
        return isinstance(value, list) and all(fits(v, inner) for v in value)
    if not isinstance(value, dict) or set(value) != {k for k, _ in inner}:
        return False
    return all(fits(value[k], s) for k, s in inner)


def as_object(revision: BaseModel) -> dict[str, Any]:
    """The revision as the output object: the original keys, in the original order."""
    dumped: dict[str, Any] = revision.model_dump(mode="json", by_alias=True)
    return dumped


def validate_revision(schema: type[BaseModel], value: Any) -> BaseModel | None:
    try:
        return schema.model_validate(value)
    except ValidationError:
        return None
