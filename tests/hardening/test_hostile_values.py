"""Hostile numbers and schedules, per route: a value past its documented range, or a
cron that is valid but never fires, is a 4xx naming the field that changes nothing;
values at the edge of the range are accepted and every aggregate over them answers
2xx with finite JSON numbers."""

from __future__ import annotations

from typing import Any

import pytest

from shared.db import Database
from shared.improve.schemas import MAX_METRIC_MAGNITUDE
from shared.treasury.movements import MAX_AMOUNT_MINOR
from tests.conftest import UserClient
from tests.hardening.deliveries import snapshot
from tests.hardening.objects import AGENT, Objects, fill, path_values, seed
from tests.support.finite import finite_json


@pytest.fixture(scope="module")
def owned(alice: UserClient) -> Objects:
    return seed(alice)


def _metric(value: float) -> dict[str, Any]:
    return {"name": "latency", "value": value, "agentId": AGENT}


def _task(cron: str) -> dict[str, Any]:
    return {"name": "never", "workflowId": "<workflow>", "cronExpression": cron}


# (method, route, body, the field the refusal must name)
HOSTILE = [
    ("POST", "/api/improve/metric", _metric(1e308), "value"),
    ("POST", "/api/improve/metric", _metric(-1.7976931348623157e308), "value"),
    ("POST", "/api/improve/metric", _metric(MAX_METRIC_MAGNITUDE * 1.5), "value"),
    ("POST", "/api/treasury/thresholds", {"amount": 2**63, "currency": "usd"}, "amount"),
    ("POST", "/api/treasury/thresholds", {"amount": MAX_AMOUNT_MINOR + 1, "currency": "usd"}, "amount"),
    ("POST", "/api/scheduler/tasks", _task("0 0 30 2 *"), "cronExpression"),
    ("POST", "/api/scheduler/tasks", _task("0 0 31 4 *"), "cronExpression"),
    ("POST", "/api/scheduler/tasks", _task("0 0 31 2,4,6 *"), "cronExpression"),
    ("PUT", "/api/scheduler/<id>", {"cronExpression": "0 0 30 2 *"}, "cronExpression"),
    ("PUT", "/api/scheduler/<id>", {"cronExpression": "0 0 31 2,4,6 *"}, "cronExpression"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "route", "body", "field"), HOSTILE)
def test_a_hostile_number_or_schedule_is_a_4xx_naming_the_field_and_changes_nothing(
    alice: UserClient,
    db: Database,
    owned: Objects,
    method: str,
    route: str,
    body: dict[str, Any],
    field: str,
) -> None:
    path = fill(route, path_values(owned).get(route, {}))
    sent = {k: owned.workflow if v == "<workflow>" else v for k, v in body.items()}
    before = snapshot(db)
    res = getattr(alice, method.lower())(path, json=sent)
    assert res.status_code in (400, 422), (res.status_code, res.get_json())
    assert field in res.get_json()["error"]
    assert snapshot(db) == before


def test_metrics_at_the_edge_of_the_range_give_finite_stats(alice: UserClient) -> None:
    for value in (MAX_METRIC_MAGNITUDE, -MAX_METRIC_MAGNITUDE, 5e-324):
        assert alice.post("/api/improve/metric", json=_metric(value)).status_code == 201
    finite_json(alice.get(f"/api/improve/stats/{AGENT}"))


def test_a_threshold_at_the_edge_of_the_range_is_accepted_and_listed(alice: UserClient) -> None:
    res = alice.post(
        "/api/treasury/thresholds", json={"amount": MAX_AMOUNT_MINOR, "currency": "eur"}
    )
    assert res.status_code == 201
    finite_json(alice.get("/api/treasury/thresholds"))
    finite_json(alice.get("/api/treasury/summary"))


def test_a_cron_that_fires_once_in_eight_years_is_accepted(
    alice: UserClient, owned: Objects
) -> None:
    res = alice.post(
        "/api/scheduler/tasks",
        json={"name": "leap", "workflowId": owned.workflow, "cronExpression": "0 0 29 2 *"},
    )
    assert res.status_code == 201, res.get_json()
    assert res.get_json()["task"]["next_run_at"] is not None
