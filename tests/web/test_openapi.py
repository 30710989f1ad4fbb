"""The OpenAPI document is complete: every route of the api function has an entry."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

from shared.web.app import api_app
from shared.web.openapi import document
from shared.web.router import Link


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


def _inline_objects(node: Any, where: str) -> list[str]:
    """Object schemas stated in place (with their properties) instead of referred to."""
    if isinstance(node, dict):
        found = [where] if "properties" in node else []
        for key, value in node.items():
            found += _inline_objects(value, f"{where}/{key}")
        return found
    if isinstance(node, list):
        return [f for i, item in enumerate(node) for f in _inline_objects(item, f"{where}/{i}")]
    return []


def test_every_route_declares_its_answer_as_a_model() -> None:
    for route in api_app().routes:
        assert not isinstance(route.response, dict), f"{route.method} {route.path}"
        assert route.answer.json_schema()  # pydantic can validate and document it


def test_every_body_and_answer_is_a_component_referred_to_by_ref(api: Any) -> None:
    """One schema per concept: the operations hold only references to components."""
    doc = api.get("/api/openapi.json").get_json()
    assert _inline_objects(doc["paths"], "paths") == []
    # each component is named for its model: no two models share a name
    assert all(re.fullmatch(r"[A-Z][A-Za-z0-9]*", name) for name in doc["components"]["schemas"])


def test_a_run_is_one_schema_wherever_it_appears(api: Any) -> None:
    text = json.dumps(api.get("/api/openapi.json").get_json())
    doc = json.loads(text)
    run = doc["components"]["schemas"]["Run"]
    assert "step_results" in run["properties"]
    # the run's page, its result, a workflow's recent runs and GET run all refer to it
    assert text.count('"#/components/schemas/Run"') >= 4
    assert text.count('"step_results": {') == 1  # its properties are stated once


def test_the_served_document_lints_clean_as_openapi_3_1(api: Any) -> None:
    """openapi-spec-validator: the OpenAPI 3.1 schema, unique operation ids, defaults
    and examples that fit their schemas, references that resolve."""
    doc = api.get("/api/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    findings = [f"{list(e.path)}: {e.message}" for e in OpenAPIV31SpecValidator(doc).iter_errors()]
    assert findings == []


def test_a_link_names_an_operation_of_the_table_and_its_parameters() -> None:
    routes = api_app().routes
    create = next(r for r in routes if r.handler.__name__ == "create_workflow")
    for bad in (
        Link("no_such_operation"),
        Link("get_workflow", {"workflowId": "$response.body#/id"}),
    ):
        broken = replace(create, links=(bad,))
        with pytest.raises(ValueError, match=r"link to the unknown|takes no"):
            document([broken if r is create else r for r in routes])


def test_a_created_workflow_links_to_what_takes_its_id(api: Any) -> None:
    doc = api.get("/api/openapi.json").get_json()
    links = doc["paths"]["/api/workflow"]["post"]["responses"]["201"]["links"]
    assert links["get_workflow"] == {
        "operationId": "get_workflow",
        "parameters": {"id": "$response.body#/workflow/id"},
    }
    assert links["create_trigger"]["requestBody"] == {"workflowId": "$response.body#/workflow/id"}


def _strings(node: Any) -> list[dict[str, Any]]:
    """Every schema of the document that is a string, at any depth."""
    found = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("type") == "string":
                found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def test_no_request_text_admits_nul(api: Any) -> None:
    """PostgreSQL cannot store U+0000: every text a body states holds none, by its
    pattern (free text gets one; the others' anchored classes exclude it)."""
    doc = api.get("/api/openapi.json").get_json()
    texts = []
    for item in doc["paths"].values():
        for op in item.values():
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                ref = body["schema"]["$ref"].rsplit("/", 1)[-1]
                texts += _strings(doc["components"]["schemas"][ref])
    # a bare {"type": "string"} is a oneOf/then branch's type, beside the field's schema
    free = [
        t for t in texts if t != {"type": "string"} and not {"enum", "const", "format"} & set(t)
    ]
    assert len(free) > 20
    for text in free:
        assert "pattern" in text, text
        for nul in ("\x00", "a\x00", "\x00a", "usd\x00", "a.b\x00"):
            assert not re.search(text["pattern"], nul), (text, nul)
    assert re.search(next(t["pattern"] for t in free if "\\s" in t["pattern"]), " a ")
