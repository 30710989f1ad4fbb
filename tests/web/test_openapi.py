"""The OpenAPI document is complete: every route of the api function has an entry."""

from __future__ import annotations

import re
from typing import Any

from shared.web.app import api_app


def test_the_document_is_served_without_auth(api: Any) -> None:
    res = api.get("/api/openapi.json")
    assert res.status_code == 200
    assert res.get_json()["openapi"].startswith("3.")


def test_every_route_has_an_operation_with_summary_and_responses(api: Any) -> None:
    doc = api.get("/api/openapi.json").get_json()
    routes = api_app().routes
    assert routes
    for route in routes:
        path = re.sub(r"<(?:[a-z]+:)?([a-zA-Z_]+)>", r"{\1}", route.path)
        op = doc["paths"].get(path, {}).get(route.method.lower())
        assert op is not None, f"{route.method} {route.path} has no OpenAPI entry"
        assert op["summary"].strip()
        success = op["responses"][str(route.status)]
        assert success["content"][route.media_type]["schema"]
        assert all("content" in r for r in op["responses"].values())
        if route.body is not None:
            assert op["requestBody"]["content"]["application/json"]["schema"]
        if route.auth:
            assert "401" in op["responses"] and op["security"]


def test_every_documented_operation_is_routed(api: Any) -> None:
    doc = api.get("/api/openapi.json").get_json()
    for path, ops in doc["paths"].items():
        for method in ops:
            concrete = re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)
            res = api.open(concrete, method=method.upper())
            assert not (res.status_code == 404 and "no route" in res.get_json().get("error", ""))


def _keys(node: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(node, dict):
        found = [(path, key) for key in node]
        for key, value in node.items():
            if key not in ("properties", "example", "examples", "default"):
                found += _keys(value, f"{path}/{key}")
            elif key == "properties":
                for name, prop in value.items():
                    found += _keys(prop, f"{path}/properties/{name}")
        return found
    if isinstance(node, list):
        return [k for i, item in enumerate(node) for k in _keys(item, f"{path}/{i}")]
    return []


def test_bounds_are_stated_in_json_schema_words(api: Any) -> None:
    """A bound pydantic could not place on a schema leaks out as its own argument name
    (``ge``, ``le``): clients and the contract tests then ignore it."""
    doc = api.get("/api/openapi.json").get_json()
    leaked = [(p, k) for p, k in _keys(doc) if k in ("ge", "gt", "le", "lt", "strict")]
    assert leaked == []
