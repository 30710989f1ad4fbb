"""Limits: body size (413), string and list lengths (422 naming the field), workflow
size, condition depth, and the per-user rate limit on the routes that call the model
(429 with Retry-After). The first checks iterate the route table, so a route added
later is held to them too."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from pydantic import BaseModel

from shared import bootstrap
from shared.config import Settings
from shared.db import Database
from shared.web import ratelimit
from shared.web.app import api_app
from shared.web.router import Route
from tests.conftest import UserClient, auth, test_settings
from tests.hardening.objects import any_url, body_routes
from tests.hardening.objects import label as _label
from tests.support.fake_gemini import example

MAX_BODY = 64 * 1024
MODEL_LIMIT = 2
# the routes that call the model on every request, and so must declare the limit
MODEL_COSTLY = {
    ("POST", "/api/oracle/evolve"),
    ("POST", "/api/goals/auto-generate"),
    ("POST", "/api/reasoning/goal/<goalId>/decompose"),
    ("GET", "/api/improve/analyze/<agentId>"),
    ("POST", "/api/memory/consolidate"),
}


@pytest.fixture(scope="module")
def settings(db_url: str) -> Settings:
    s = test_settings(db_url, MAX_BODY_BYTES=MAX_BODY, RATE_LIMIT_MODEL_PER_MINUTE=MODEL_LIMIT)
    bootstrap.configure(s)
    return s


# required values a schema's example cannot make valid
FILLERS = {"cronExpression": "0 9 * * *"}
# refusals whose exact text the wire contract fixes (docs/concepts/)
CONTRACT_MESSAGES = {"cronExpression": "Invalid cron expression"}


def _open(client: Any, route: Route, user: str = "limits", **kwargs: Any) -> Any:
    return client.open(any_url(route), method=route.method, headers=auth(user), **kwargs)


@pytest.mark.parametrize("route", body_routes(), ids=_label)
def test_a_body_past_the_limit_is_413(route: Route, api: Any) -> None:
    res = _open(
        api, route, data=b'{"x": "' + b"a" * MAX_BODY + b'"}', content_type="application/json"
    )
    assert res.status_code == 413
    assert "larger than" in res.get_json()["error"]


def _bounded_fields(model: type[BaseModel]) -> list[tuple[str, dict[str, Any]]]:
    """Top-level fields with a maxLength or maxItems, by their wire name."""
    found = []
    for name, prop in model.model_json_schema(by_alias=True).get("properties", {}).items():
        options = prop.get("anyOf", [prop])
        for option in options:
            if "maxLength" in option or "maxItems" in option:
                found.append((name, option))
                break
    return found


def _required(model: type[BaseModel]) -> dict[str, Any]:
    """A small value for each required field, so the one under test is what is refused."""
    schema = model.model_json_schema(by_alias=True)
    props = schema.get("properties", {})
    return {
        k: FILLERS.get(k, example(props[k], schema.get("$defs")))
        for k in schema.get("required", [])
    }


LENGTH_CASES = [
    pytest.param(route, name, schema, id=f"{_label(route)}:{name}")
    for route in body_routes()
    for name, schema in _bounded_fields(route.body)  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("route", "name", "schema"), LENGTH_CASES)
def test_a_string_or_list_past_its_length_is_422_naming_the_field(
    route: Route, name: str, schema: dict[str, Any], api: Any, db: Database
) -> None:
    if "maxLength" in schema:
        value: Any = "a" * (schema["maxLength"] + 1)
    else:
        value = ["a"] * (schema["maxItems"] + 1)
    res = _open(api, route, json={**_required(route.body), name: value})  # type: ignore[arg-type]
    if len(str(value)) >= MAX_BODY:
        assert res.status_code == 413  # the body limit is the tighter bound
        return
    assert res.status_code in (400, 422), res.get_json()
    error = res.get_json()["error"]
    assert name in error or error == CONTRACT_MESSAGES.get(name), error


def test_the_length_checks_cover_every_body_route_with_a_bounded_field() -> None:
    covered = {_label(r) for r, *_ in (c.values for c in LENGTH_CASES)}
    assert "POST /api/workflow" in covered
    assert "POST /api/memory/store" in covered
    assert len(LENGTH_CASES) >= 20


def test_a_workflow_past_the_step_limit_is_422_and_nothing_is_saved(
    alice: UserClient, db: Database
) -> None:
    step = {"id": "s", "type": "condition", "config": {"subject": {}, "conditions": {}}}
    steps = [{**step, "id": f"s{i}"} for i in range(51)]
    res = alice.post("/api/workflow", json={"name": "huge", "steps": steps})
    assert res.status_code == 422
    assert "at most 50 steps" in res.get_json()["error"]
    with db.transaction() as tx:
        assert tx.scalar("SELECT count(*) FROM workflows WHERE name = 'huge'") == 0


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"k": value}
    return value


def test_trigger_conditions_nested_too_deep_are_400_naming_the_depth(alice: UserClient) -> None:
    flow = alice.post("/api/workflow", json={"name": "deep", "steps": []}).get_json()
    res = alice.post(
        "/api/events/triggers",
        json={
            "eventType": "post.deep",
            "workflowId": flow["workflow"]["id"],
            "conditions": {"field": _nested(7)},
        },
    )
    assert res.status_code == 400
    assert "deeper than 6" in res.get_json()["error"]


def test_a_condition_step_nested_too_deep_is_422_naming_the_step(alice: UserClient) -> None:
    step = {"id": "gate", "type": "condition", "config": {"conditions": {"field": _nested(7)}}}
    res = alice.post("/api/workflow", json={"name": "deep", "steps": [step]})
    assert res.status_code == 422
    assert "gate" in res.get_json()["error"]
    assert "deeper than 6" in res.get_json()["error"]


def test_deeply_nested_json_is_400_not_a_crash(alice: UserClient) -> None:
    res = alice.post(
        "/api/events", data="[" * 100_000 + "]" * 100_000, content_type="application/json"
    )
    assert res.status_code in (400, 413)
    assert res.get_json()["error"]


# model-costly routes being built on other branches: held to the limit once routed
MODEL_COSTLY_PENDING: set[tuple[str, str]] = set()


def test_the_model_costly_routes_declare_the_model_rate_limit() -> None:
    routed = {(r.method, r.path) for r in api_app().routes}
    declared = {(r.method, r.path) for r in api_app().routes if r.rate_limit == "model"}
    assert declared >= MODEL_COSTLY | (MODEL_COSTLY_PENDING & routed)


def limited_routes() -> list[Route]:
    return [r for r in api_app().routes if r.rate_limit is not None]


@pytest.mark.parametrize("route", limited_routes(), ids=_label)
def test_past_the_rate_limit_a_model_route_is_429_with_retry_after(route: Route, api: Any) -> None:
    user = f"limited-{uuid.uuid4().hex[:8]}"
    body = _required(route.body) if route.body is not None else None  # valid: it is counted
    for _ in range(MODEL_LIMIT):
        assert _open(api, route, user, json=body).status_code != 429
    res = _open(api, route, user, json=body)
    assert res.status_code == 429
    assert "rate limit" in res.get_json()["error"]
    assert 1 <= int(res.headers["Retry-After"]) <= ratelimit.WINDOW_SECONDS
    other = _open(api, route, f"other-{uuid.uuid4().hex[:8]}", json=body)
    assert other.status_code != 429


def test_the_rate_limit_is_documented_with_retry_after(api: Any) -> None:
    doc = api.get("/api/openapi.json").get_json()
    op = doc["paths"]["/api/improve/analyze/{agentId}"]["get"]
    assert "Retry-After" in op["responses"]["429"]["headers"]


def test_a_request_drops_the_users_ended_windows_and_prune_drops_everyones(
    alice: UserClient, db: Database
) -> None:
    with db.transaction() as tx:
        tx.executemany(
            "INSERT INTO rate_limits (user_id, bucket, window_start, hits) "
            "VALUES (%s, 'model', now() - interval '1 hour', 5)",
            [("alice",), ("someone-else",)],
        )
    assert alice.post("/api/memory/consolidate").status_code == 200
    with db.transaction() as tx:
        rows = tx.all(
            "SELECT user_id, hits FROM rate_limits WHERE user_id IN ('alice', 'someone-else') "
            "ORDER BY user_id"
        )
    assert rows == [{"user_id": "alice", "hits": 1}, {"user_id": "someone-else", "hits": 5}]
    assert ratelimit.prune() >= 1
    with db.transaction() as tx:
        assert tx.scalar("SELECT count(*) FROM rate_limits WHERE user_id = 'someone-else'") == 0


# request values bounded as a whole rather than field by field, and by what
BOUNDED_AS_A_WHOLE = {
    "SemanticFingerprint": "at most 16000 characters of JSON (IngestSoul validates it)",
}


def _unbounded(schema: Any, where: str, components: dict[str, Any], out: list[str]) -> None:
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in BOUNDED_AS_A_WHOLE and name not in out:
            out.append(name)  # visited marker, dropped below
            _unbounded(components[name], name, components, out)
        return
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        _unbounded(option, where, components, out)
    kind = schema.get("type")
    bounded_pattern = re.search(r"\{\d+,\d+\}\$$", schema.get("pattern", ""))
    fixed = {"maxLength", "enum", "const", "format"}
    if kind == "string" and not (fixed & set(schema) or bounded_pattern):
        out.append(f"{where}: a string without maxLength")
    if kind == "array":
        if "maxItems" not in schema:
            out.append(f"{where}: an array without maxItems")
        _unbounded(schema.get("items", {}), f"{where}[]", components, out)
    for key, value in schema.get("properties", {}).items():
        _unbounded(value, f"{where}.{key}", components, out)


def test_every_string_and_list_a_request_body_takes_has_a_documented_bound(api: Any) -> None:
    doc = api.get("/api/openapi.json").get_json()
    components = doc["components"]["schemas"]
    found: list[str] = []
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            body = op.get("requestBody")
            if body:
                schema = body["content"]["application/json"]["schema"]
                _unbounded(schema, f"{method.upper()} {path}", components, found)
    assert [f for f in found if ":" in f] == []
