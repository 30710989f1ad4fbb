"""Numbers at the edges: metric values are bounded at input (422 naming the field,
nothing stored), and every aggregate over what is stored answers finite JSON, also for
rows a double can barely hold (stored before the bound) and for JSON numbers past it."""

from __future__ import annotations

import math
from typing import Any

import pytest

from shared.db import Database
from shared.improve.schemas import MAX_METRIC_MAGNITUDE
from tests.conftest import UserClient
from tests.improve.conftest import count, start, units
from tests.support.finite import finite_json

LARGEST = 1.7976931348623157e308  # the largest finite double


def metric(user: UserClient, agent: str, value: float, **extra: Any) -> Any:
    return user.post(
        "/api/improve/metric", json={"name": "latency", "value": value, "agentId": agent, **extra}
    )


@pytest.mark.parametrize("value", [1.0000001e12, -2e12, 1e308, -LARGEST])
def test_a_metric_value_past_the_bound_is_a_422_naming_value_and_stores_nothing(
    alice: UserClient, db: Database, value: float
) -> None:
    before = count(db, "SELECT count(*) FROM agent_metrics")
    res = metric(alice, "edge_refused", value)
    assert res.status_code == 422
    assert res.get_json()["error"].startswith("invalid request body: value:")
    assert count(db, "SELECT count(*) FROM agent_metrics") == before


def test_the_document_states_the_bound_of_a_metric_value(api: Any) -> None:
    doc = api.get("/api/openapi.json").get_json()
    value = doc["components"]["schemas"]["MetricIn"]["properties"]["value"]
    assert (value["minimum"], value["maximum"]) == (-MAX_METRIC_MAGNITUDE, MAX_METRIC_MAGNITUDE)


def test_stats_over_values_at_the_bound_are_finite(alice: UserClient) -> None:
    for value in (MAX_METRIC_MAGNITUDE, MAX_METRIC_MAGNITUDE, -MAX_METRIC_MAGNITUDE):
        assert metric(alice, "edge_bound", value).status_code == 201
    [latency] = finite_json(alice.get("/api/improve/stats/edge_bound"))["metrics"]
    assert latency["mean"] == pytest.approx(MAX_METRIC_MAGNITUDE / 3)
    assert (latency["min"], latency["max"]) == (-MAX_METRIC_MAGNITUDE, MAX_METRIC_MAGNITUDE)


def test_stats_over_rows_stored_before_the_bound_are_finite(
    alice: UserClient, db: Database
) -> None:
    with db.transaction() as tx:
        for value in (LARGEST, LARGEST, 1e308):
            tx.execute(
                "INSERT INTO agent_metrics (user_id, agent_id, name, value) "
                "VALUES ('alice', 'edge_stored', 'latency', %s)",
                (value,),
            )
    [latency] = finite_json(alice.get("/api/improve/stats/edge_stored"))["metrics"]
    assert latency["mean"] == pytest.approx(LARGEST / 3 * 2 + 1e308 / 3)
    assert latency["max"] == LARGEST


def test_evolver_figures_past_the_range_of_a_double_are_null_not_an_error(
    alice: UserClient,
) -> None:
    """A client may store an episodic memory of type evolution with any JSON numbers,
    and JSON integers have no bound: sums stay exact, a mean a double cannot show is
    null."""
    huge = 10**400
    contexts = [
        {"iterations": huge, "initialScore": -LARGEST, "finalScore": LARGEST,
         "usage": {"calls": huge, "tokens": 2}},
        {"iterations": huge, "initialScore": -LARGEST, "finalScore": LARGEST,
         "usage": {"calls": 1, "tokens": 3}},
    ]  # fmt: skip
    for n, context in enumerate(contexts):
        res = alice.post(
            "/api/memory/store",
            json={
                "type": "episodic",
                "content": f"evolution {n} of an extreme agent",
                "agentId": "edge_evolver",
                "interactionType": "evolution",
                "metadata": context,
            },
        )
        assert res.status_code == 201, res.get_json()
    evolver = finite_json(alice.get("/api/improve/stats/edge_evolver"))["evolver"]
    assert evolver["evolutions"] == 2
    assert evolver["meanIterations"] is None and evolver["meanScoreGain"] is None
    assert (evolver["calls"], evolver["tokens"]) == (huge + 1, 5)


def test_an_experiment_over_tiny_and_ordinary_values_is_tested_not_a_500(
    alice: UserClient,
) -> None:
    """A variance of 1e-300 squared underflows to 0; the degrees of freedom must not
    become 0 / 0 when the metric is recorded."""
    exp = start(alice, "edge_tiny", metric="latency", minSamples=2, maxSamples=10)
    for variant, values in (("control", [5.0, 5.0]), ("deeper", [1e-150, 2e-150])):
        for unit, value in zip(units(exp, variant, 2), values, strict=True):
            assert metric(alice, "edge_tiny", value, outputId=unit).status_code == 201
    result = finite_json(alice.get(f"/api/improve/experiment/{exp['id']}"))["result"]
    [comparison] = result["comparisons"]
    assert comparison["df"] == pytest.approx(1.0)
    assert comparison["significant"] is True


def test_an_experiment_over_observations_near_the_largest_double_shows_and_stops(
    alice: UserClient, db: Database
) -> None:
    """Observations stored before the bound: sums and squares of them overflow a
    double, so the mean and the test are taken on scaled values; a standard deviation
    past the range of a double is null."""
    exp = start(alice, "edge_huge", metric="latency")
    with db.transaction() as tx:
        for n, (variant, value) in enumerate(
            [("control", LARGEST), ("control", -LARGEST), ("deeper", LARGEST), ("deeper", 1e308)]
        ):
            tx.execute(
                "INSERT INTO experiment_observations (experiment_id, user_id, unit_id, variant, "
                "value, source, source_id) VALUES (%s, 'alice', %s, %s, %s, 'metric', %s)",
                (exp["id"], f"unit-{n}", variant, value, f"m-{n}"),
            )
    shown = finite_json(alice.get(f"/api/improve/experiment/{exp['id']}"))["result"]
    control, deeper = shown["variants"]
    assert control["mean"] == 0.0 and control["stddev"] is None
    assert deeper["mean"] == pytest.approx(LARGEST / 2 + 1e308 / 2)
    assert deeper["stddev"] == pytest.approx((LARGEST - 1e308) / math.sqrt(2))
    assert 0 <= shown["comparisons"][0]["pValue"] <= 1
    stopped = alice.post(f"/api/improve/experiment/{exp['id']}/stop")
    assert finite_json(stopped)["experiment"]["status"] == "stopped"
