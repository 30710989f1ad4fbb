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
