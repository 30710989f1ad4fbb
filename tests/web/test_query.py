"""Query strings, one rule on every route that takes them: an empty value is the
parameter left out, and a value its schema does not admit is 422 naming it. Iterates
the route table, so a route added later is held to the same rule."""

from __future__ import annotations

from typing import Any

import pytest

from shared.web.app import api_app
from shared.web.query import parameters
from shared.web.router import Route
from tests.conftest import UserClient
from tests.hardening.objects import Objects, fill, path_values, seed

QUERIED = [r for r in api_app().routes if r.query is not None]
PARAMS = [
    pytest.param(route, param, id=f"{route.method} {route.path} {param['name']}")
    for route in QUERIED
    for param in parameters(route.query)  # type: ignore[arg-type]
]


@pytest.fixture(scope="module")
def objects(alice: UserClient) -> Objects:
    return seed(alice)


def _path(route: Route, objects: Objects) -> str:
    return fill(route.path, path_values(objects).get(route.path, {}))


def call(user: UserClient, route: Route, path: str, **kw: Any) -> Any:
    """The route called as it is meant to be (a POST with an empty JSON body); a retry
    of a run of its own that failed."""
    if route.method == "GET":
        return user.get(path, **kw)
    if route.path.endswith("/retry"):
        path = f"/api/workflow/run/{_failed_run(user)}/retry"
    return user.post(path, json={}, **kw)


def _failed_run(user: UserClient) -> str:
    """A run whose one step fails at once, and again each time it is retried (its URL
    is refused before anything is sent)."""
    steps = [{"id": "refused", "type": "http", "config": {"url": "http://10.255.255.1/"}}]
    res = user.post("/api/workflow", json={"name": "fails", "steps": steps})
    run = user.post(f"/api/workflow/{res.get_json()['workflow']['id']}/run", json={})
    assert run.get_json()["run"]["status"] == "failed", run.get_json()
    return str(run.get_json()["run"]["id"])


def bad_value(schema: dict[str, Any]) -> str:
    """A value the parameter's schema does not admit."""
    if schema.get("type") == "number":
        return str(schema["maximum"] + 1) if "maximum" in schema else "ten"
    if schema.get("type") == "integer":
        return str(schema["maximum"] + 1) if "maximum" in schema else "ten"
    if "enum" in schema:
        return "not-one-of-them"
    if schema.get("format") == "uuid":
        return "not-a-uuid"
    if "pattern" in schema or "maxLength" in schema:
        return "#" * (schema.get("maxLength", 10) + 1)
    raise AssertionError(f"a query parameter without a bound: {schema}")


def test_some_routes_take_query_parameters() -> None:
    assert len(PARAMS) >= 8


@pytest.mark.parametrize(("route", "param"), PARAMS)
def test_an_empty_value_is_the_parameter_left_out(
    alice: UserClient, objects: Objects, route: Route, param: dict[str, Any]
) -> None:
    path = _path(route, objects)
    absent = call(alice, route, path)
    empty = call(alice, route, path, query_string={param["name"]: ""})
    assert absent.status_code == 200, absent.get_json()
    if route.method == "GET":
        assert (empty.status_code, empty.get_json()) == (absent.status_code, absent.get_json())
    else:  # each call makes something new: the same answer, of another object
        assert (empty.status_code, sorted(empty.get_json())) == (200, sorted(absent.get_json()))


@pytest.mark.parametrize(("route", "param"), PARAMS)
def test_a_value_the_schema_does_not_admit_is_422_naming_the_parameter(
    alice: UserClient, objects: Objects, route: Route, param: dict[str, Any]
) -> None:
    bad = {param["name"]: bad_value(param["schema"])}
    res = call(alice, route, _path(route, objects), query_string=bad)
    assert res.status_code == 422
    assert param["name"] in res.get_json()["error"]


@pytest.mark.parametrize("value", ["x", "1.5", "-1", "0"])
def test_a_bad_integer_is_422_on_every_route_with_a_limit(
    alice: UserClient, objects: Objects, value: str
) -> None:
    limited = [r for r in QUERIED if "limit" in r.query.model_fields]  # type: ignore[union-attr]
    assert limited
    for route in limited:
        res = alice.get(_path(route, objects), query_string={"limit": value})
        assert res.status_code == 422, (route.path, res.get_json())
