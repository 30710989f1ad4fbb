"""The OpenAPI 3.1 document, generated from the route table: each route carries its
summary, body model, query model and response model. Every model is one entry of
``components/schemas``, generated in one pass (so a model several routes answer with,
or one nested in several answers, is stated once and referred to by ``$ref``); bodies
in their validation form, answers in their serialisation form."""

from __future__ import annotations

import re
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue
from pydantic_core import core_schema

from shared.web.query import parameters
from shared.web.router import Link, Route
from shared.web.shapes import NO_NUL, Error

REF = "#/components/schemas/{model}"
ERROR_REF = {"$ref": REF.format(model=Error.__name__)}
_REASONS = {
    400: "Bad input",
    401: "Missing or invalid token",
    404: "Not found",
    409: "Conflict",
    413: "Body too large",
    422: "Invalid values",
    429: "Too many requests",
    503: "A dependency is unavailable; retry later",
}
_PARAM = re.compile(r"<(?:[a-z]+:)?([a-zA-Z_]+)>")
# and "not blank" (r"\S"), anchored the same way: one pattern, as a schema holds one
NOT_BLANK_NO_NUL = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"


class _Generator(GenerateJsonSchema):
    """Pydantic's schemas without a title on every property (the name says it), and
    without ``default: null`` on a field that cannot be null: there None is the key
    left out (a change not asked for, a key that does not apply), not a value."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def str_schema(self, schema: core_schema.StringSchema) -> JsonSchemaValue:
        """A request's text states that it holds no U+0000 in its pattern. The other
        patterns of the models are anchored character classes, which admit no U+0000
        already (``tests/web/test_openapi.py`` holds every pattern to it)."""
        json_schema = super().str_schema(schema)
        if self.mode != "validation":
            return json_schema
        pattern = json_schema.get("pattern")
        if pattern is None:
            json_schema["pattern"] = NO_NUL
        elif pattern == r"\S":
            json_schema["pattern"] = NOT_BLANK_NO_NUL
        return json_schema

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        json_schema = super().default_schema(schema)
        if json_schema.get("default", ...) is None and not _admits_null(json_schema):
            del json_schema["default"]
        return json_schema


def _admits_null(schema: JsonSchemaValue) -> bool:
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(_admits_null(s) for s in schema.get("anyOf", []) + schema.get("oneOf", []))


Key = tuple[int, str]


def schemas(routes: list[Route]) -> tuple[dict[Key, dict[str, Any]], dict[str, Any]]:
    """Each route's body and answer schema, keyed by (route index, "body"/"answer"),
    and the components they refer to."""
    inputs: list[tuple[Key, JsonSchemaMode, TypeAdapter[Any]]] = [
        ((-1, "error"), "serialization", TypeAdapter(Error))
    ]
    for i, route in enumerate(routes):
        if route.body is not None:
            inputs.append(((i, "body"), "validation", TypeAdapter(route.body)))
        inputs.append(((i, "answer"), "serialization", route.answer))
    found, definitions = TypeAdapter.json_schemas(
        inputs, by_alias=True, ref_template=REF, schema_generator=_Generator
    )
    return {key: schema for (key, _mode), schema in found.items()}, definitions.get("$defs", {})


def operation(route: Route, body: dict[str, Any] | None, answer: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": route.summary,
        "operationId": route.handler.__name__,
        "tags": [route.tag],
    }
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in _PARAM.findall(route.path)
    ]
    if route.query is not None:
        params += parameters(route.query)
    if params:
        op["parameters"] = params
    codes = set(route.errors) | {400, 404, 503}
    if route.query is not None:
        codes.add(422)  # a query value the parameter's schema does not admit
    if route.auth:
        codes.add(401)
        op["security"] = [{"bearer": []}]
    else:
        op["security"] = []
    if route.rate_limit is not None:
        codes.add(429)
    if route.body is not None and body is not None:
        # an empty body is read as {}: it may be left out when nothing in it is required
        required = bool(route.body.model_json_schema(by_alias=True).get("required"))
        op["requestBody"] = {
            "required": required,
            "content": {"application/json": {"schema": body}},
        }
        codes |= {413, 422}
    success = {route.media_type: {"schema": answer}}
    responses: dict[str, Any] = {
        str(code): {"description": description, "content": success}
        for code, description in ((route.status, "Success"), *route.also)
    }
    if route.links:
        links = {link.operation: _link(link) for link in route.links}
        for code, _description in ((route.status, ""), *route.also):
            responses[str(code)]["links"] = links
    for code in sorted(codes):
        responses[str(code)] = {
            "description": _REASONS.get(code, "Error"),
            "content": {"application/json": {"schema": ERROR_REF}},
        }
    if route.rate_limit is not None:
        responses["429"]["description"] = (
            f"Too many requests: the per-user '{route.rate_limit}' rate limit was reached"
        )
        responses["429"]["headers"] = {
            "Retry-After": {
                "description": "seconds until the limit's window ends",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        }
    op["responses"] = responses
    return op


def _link(link: Link) -> dict[str, Any]:
    out: dict[str, Any] = {"operationId": link.operation}
    if link.parameters:
        out["parameters"] = dict(link.parameters)
    if link.body is not None:
        out["requestBody"] = dict(link.body)
    return out


def _check_links(routes: list[Route]) -> None:
    """A link names an operation of the table, and parameters that operation has."""
    by_id = {route.handler.__name__: route for route in routes}
    for route in routes:
        for link in route.links:
            target = by_id.get(link.operation)
            if target is None:
                raise ValueError(f"{route.path}: a link to the unknown operation {link.operation}")
            known = set(_PARAM.findall(target.path))
            if target.query is not None:
                known |= {p["name"] for p in parameters(target.query)}
            unknown = set(link.parameters) - known
            if unknown:
                raise ValueError(f"{route.path}: {link.operation} takes no {sorted(unknown)}")


def document(routes: list[Route]) -> dict[str, Any]:
    _check_links(routes)
    found, components = schemas(routes)
    paths: dict[str, Any] = {}
    for i, route in enumerate(routes):
        path = _PARAM.sub(r"{\1}", route.path)
        op = operation(route, found.get((i, "body")), found[(i, "answer")])
        paths.setdefault(path, {})[route.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SEGP API",
            "version": "0.1.0",
            "description": "The Self-Evolving Growth Protocol behind NEXUS OS. "
            "No string of a request body may hold U+0000 (PostgreSQL cannot store it): "
            "such a request is 422, naming the field. Query parameters and body fields "
            "the API does not know are ignored. An empty query value (?status=) is the "
            "parameter left out; a query value its schema does not admit is 422. A body "
            "that is not JSON, or not a JSON object, is 400. Every answer is its schema's "
            "model: a key not in required is left out where it does not apply.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
