"""A/B experiments: creation and validation, deterministic assignment, outcomes from
feedback and metrics, results with Welch's test, the stop rule, and tenancy."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pytest

from shared.db import Database
from shared.improve.experiments import assign, variant_for
from tests.conftest import UserClient
from tests.improve.conftest import VARIANTS, count, start, units


def rate(user: UserClient, agent: str, unit: str, rating: int) -> dict[str, Any]:
    res = user.post(
        "/api/improve/feedback", json={"agentId": agent, "rating": rating, "outputId": unit}
    )
    assert res.status_code == 201
    return dict(res.get_json())


def test_an_experiment_starts_running_with_its_variants(alice: UserClient) -> None:
    exp = start(alice, "exp_1", variants=VARIANTS, minSamples=10)
    assert exp["status"] == "running"
    assert exp["variants"] == VARIANTS
    assert (exp["metric"], exp["min_samples"], exp["max_samples"]) == ("rating", 10, 1000)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"variants": [{"name": "only"}]}, "variants"),
        ({"variants": [{"name": "same"}, {"name": "same"}]}, "variants"),
        (
            {"variants": [{"name": "a"}, {"name": "b", "evolver": {"maxIterations": 9}}]},
            "maxIterations",
        ),
        ({"variants": [{"name": "a"}, {"name": "b", "evolver": {"threshold": 1.5}}]}, "threshold"),
        ({"variants": [{"name": "a"}, {"name": "b", "instruction": ""}]}, "instruction"),
        ({"variants": [{"name": "a"}, {"name": "no spaces"}]}, "name"),
        ({"minSamples": 1}, "minSamples"),
        ({"minSamples": 50, "maxSamples": 10}, "maxSamples"),
        ({"metric": "not a metric"}, "metric"),
        ({"name": ""}, "name"),
        ({"agentId": None}, "agentId"),
    ],
)
def test_an_invalid_experiment_is_a_422_naming_the_field_and_stores_nothing(
    alice: UserClient, db: Database, change: dict[str, Any], field: str
) -> None:
    body = {"agentId": "exp_bad", "name": "bad", "variants": VARIANTS[:2], **change}
    res = alice.post("/api/improve/experiment", json=body)
    assert res.status_code == 422
    assert field in res.get_json()["error"]
    assert count(db, "SELECT count(*) FROM experiments WHERE agent_id = 'exp_bad'") == 0


def test_an_agent_runs_one_experiment_at_a_time(alice: UserClient) -> None:
    first = start(alice, "exp_2")
    again = alice.post(
        "/api/improve/experiment",
        json={"agentId": "exp_2", "name": "again", "variants": VARIANTS[:2]},
    )
    assert again.status_code == 409
    assert alice.post(f"/api/improve/experiment/{first['id']}/stop").status_code == 200
    start(alice, "exp_2")


def test_assignment_is_deterministic_and_spreads_units_over_variants(
    alice: UserClient,
) -> None:
    exp = start(alice, "exp_3", variants=VARIANTS)
    picks = [assign(exp, f"unit-{i}")["name"] for i in range(600)]
    assert picks == [assign(exp, f"unit-{i}")["name"] for i in range(600)]
    spread = Counter(picks)
    assert set(spread) == {"control", "deeper", "terse"}
    assert all(150 <= n <= 250 for n in spread.values())


def test_the_same_unit_may_get_another_variant_in_another_experiment(
    alice: UserClient,
) -> None:
    a, b = start(alice, "exp_4"), start(alice, "exp_5")
    units = [f"unit-{i}" for i in range(50)]
    assert [assign(a, u) for u in units] != [assign(b, u) for u in units]


def test_variant_for_gives_the_running_experiments_variant(alice: UserClient) -> None:
    assert variant_for("alice", "exp_6", "run-1") is None
    exp = start(alice, "exp_6", variants=VARIANTS)
    for unit in ("run-1", "run-2", "alice"):
        assert variant_for("alice", "exp_6", unit) == {
            **assign(exp, unit),
            "experimentId": exp["id"],
        }
    assert variant_for("bob", "exp_6", "run-1") is None


def test_feedback_is_observed_in_the_variant_of_the_rated_output(
    alice: UserClient,
) -> None:
    exp = start(alice, "exp_7")
    control, deeper = units(exp, "control", 3), units(exp, "deeper", 2)
    for unit, rating in zip(control, (5, 4, 3), strict=True):
        assert rate(alice, "exp_7", unit, rating)["experiment"]["variant"] == "control"
    for unit, rating in zip(deeper, (2, 2), strict=True):
        rate(alice, "exp_7", unit, rating)
    result = alice.get(f"/api/improve/experiment/{exp['id']}").get_json()["result"]
    assert result["variants"] == [
        {"name": "control", "n": 3, "mean": 4.0, "stddev": 1.0},
        {"name": "deeper", "n": 2, "mean": 2.0, "stddev": 0.0},
    ]
    assert result["stop"] is False


def test_a_metric_experiment_observes_that_metric_only(alice: UserClient) -> None:
    exp = start(alice, "exp_8", metric="clicks")
    unit = units(exp, "deeper", 1)[0]
    alice.post(
        "/api/improve/metric",
        json={"name": "clicks", "value": 7.5, "agentId": "exp_8", "outputId": unit},
    )
    alice.post("/api/improve/metric", json={"name": "views", "value": 1, "agentId": "exp_8"})
    rate(alice, "exp_8", unit, 1)
    result = alice.get(f"/api/improve/experiment/{exp['id']}").get_json()["result"]
    assert [(v["name"], v["n"], v["mean"]) for v in result["variants"]] == [
        ("control", 0, None),
        ("deeper", 1, 7.5),
    ]


def test_a_significant_difference_concludes_the_experiment_at_min_samples(
    alice: UserClient,
) -> None:
    exp = start(alice, "exp_9", minSamples=8)
    high, low = [5, 4, 5, 5, 4, 5, 4, 5], [3, 2, 3, 3, 4, 2, 3, 3]
    for unit, rating in zip(units(exp, "control", 8), high, strict=True):
        rate(alice, "exp_9", unit, rating)
    deeper = units(exp, "deeper", 8)
    for unit, rating in zip(deeper[:7], low[:7], strict=True):
        rate(alice, "exp_9", unit, rating)
    shown = alice.get(f"/api/improve/experiment/{exp['id']}").get_json()
    assert shown["status"] == "running"
    rate(alice, "exp_9", deeper[7], low[7])
    shown = alice.get(f"/api/improve/experiment/{exp['id']}").get_json()
    assert shown["status"] == "concluded"
    result = shown["result"]
    assert (result["winner"], result["reason"]) == ("control", "significant difference")
    [comparison] = result["comparisons"]
    assert comparison["t"] == pytest.approx(-6.008765526952665, rel=1e-9)
    assert comparison["pValue"] == pytest.approx(3.8504011235907735e-05, rel=1e-6)
    assert result["variants"][0]["stddev"] == pytest.approx(math.sqrt(1.875 / 7))


def test_without_a_difference_the_experiment_ends_at_max_samples(alice: UserClient) -> None:
    exp = start(alice, "exp_10", minSamples=2, maxSamples=4)
    for variant, ratings in (("control", [3, 4, 3, 4]), ("deeper", [4, 3, 4, 3])):
        for unit, rating in zip(units(exp, variant, 4), ratings, strict=True):
            rate(alice, "exp_10", unit, rating)
    shown = alice.get(f"/api/improve/experiment/{exp['id']}").get_json()
    assert shown["status"] == "concluded"
    assert shown["result"]["winner"] is None
    assert "maxSamples" in shown["result"]["reason"]


def test_feedback_after_the_end_is_not_observed(alice: UserClient, db: Database) -> None:
    exp = start(alice, "exp_11")
    alice.post(f"/api/improve/experiment/{exp['id']}/stop")
    assert rate(alice, "exp_11", "run-1", 5)["experiment"] is None
    observed = count(
        db, "SELECT count(*) FROM experiment_observations WHERE experiment_id = %s", (exp["id"],)
    )
    assert observed == 0


def test_a_stopped_experiment_keeps_its_results_and_cannot_stop_again(
    alice: UserClient,
) -> None:
    exp = start(alice, "exp_12")
    rate(alice, "exp_12", units(exp, "control", 1)[0], 4)
    res = alice.post(f"/api/improve/experiment/{exp['id']}/stop")
    stopped = res.get_json()["experiment"]
    assert stopped["status"] == "stopped"
    assert stopped["result"]["variants"][0]["n"] == 1
    assert alice.post(f"/api/improve/experiment/{exp['id']}/stop").status_code == 409


def test_another_users_experiment_is_404_and_untouched(alice: UserClient, bob: UserClient) -> None:
    exp = start(alice, "exp_13")
    assert bob.get(f"/api/improve/experiment/{exp['id']}").status_code == 404
    assert bob.post(f"/api/improve/experiment/{exp['id']}/stop").status_code == 404
    assert alice.get(f"/api/improve/experiment/{exp['id']}").get_json()["status"] == "running"


def test_a_malformed_experiment_id_is_404(alice: UserClient) -> None:
    assert alice.get("/api/improve/experiment/not-a-uuid").status_code == 404
