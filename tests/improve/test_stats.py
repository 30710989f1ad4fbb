"""Stats of an agent from constructed rows with a known answer, scoped to the caller."""

from __future__ import annotations

from typing import Any

import pytest

from shared.db import Database
from shared.workflows.agent_step import run_agent_step
from tests.conftest import UserClient
from tests.improve.conftest import add_memory

AGENT = "stats_agent"


@pytest.fixture(scope="module")
def stats(alice: UserClient, bob: UserClient, db: Database) -> dict[str, Any]:
    for rating in (1, 2, 4, 5, 5):
        alice.post("/api/improve/feedback", json={"agentId": AGENT, "rating": rating})
    bob.post("/api/improve/feedback", json={"agentId": AGENT, "rating": 1})
    for value in (1.0, 3.0):
        alice.post("/api/improve/metric", json={"name": "clicks", "value": value, "agentId": AGENT})
    for outcome in ("success", "SUCCESS", "failure", None):
        add_memory(db, "alice", AGENT, outcome=outcome)
    add_memory(db, "bob", AGENT, outcome="failure")
    add_memory(
        db,
        "alice",
        AGENT,
        interaction_type="evolution",
        outcome="success",
        context={
            "evolutionLog": [{"iteration": 1}],
            "iterations": 2,
            "initialScore": 0.5,
            "finalScore": 0.9,
            "usage": {"calls": 5, "tokens": 1200},
        },
    )
    add_memory(
        db,
        "alice",
        AGENT,
        interaction_type="evolution",
        context={
            "evolutionLog": [],
            "iterations": 1,
            "initialScore": 0.8,
            "finalScore": 0.8,
            "usage": {"calls": 2, "tokens": 300},
        },
    )
    # a malformed record is counted as an evolution but left out of the figures
    add_memory(db, "alice", AGENT, interaction_type="evolution", context={"iterations": "x"})
    res = alice.get(f"/api/improve/stats/{AGENT}")
    assert res.status_code == 200
    return dict(res.get_json())


def test_stats_count_and_average_the_callers_ratings(stats: dict[str, Any]) -> None:
    assert stats["feedback"]["count"] == 5
    assert stats["feedback"]["meanRating"] == pytest.approx(3.4)
    assert stats["feedback"]["lowRated"] == 2
    assert stats["feedback"]["byRating"] == {"1": 1, "2": 1, "3": 0, "4": 1, "5": 2}


def test_stats_summarise_each_metric(stats: dict[str, Any]) -> None:
    assert stats["metrics"] == [{"name": "clicks", "count": 2, "mean": 2.0, "min": 1.0, "max": 3.0}]


def test_the_success_rate_counts_runs_with_an_outcome(stats: dict[str, Any]) -> None:
    assert stats["runs"] == {"count": 4, "withOutcome": 3, "succeeded": 2, "successRate": 2 / 3}


def test_evolver_figures_come_from_evolution_records(stats: dict[str, Any]) -> None:
    assert stats["evolver"]["evolutions"] == 3
    assert stats["evolver"]["meanIterations"] == pytest.approx(1.5)
    assert stats["evolver"]["meanScoreGain"] == pytest.approx(0.2)
    assert stats["evolver"]["calls"] == 7
    assert stats["evolver"]["tokens"] == 1500


def test_stats_of_an_agent_without_data_are_empty(alice: UserClient) -> None:
    body = alice.get("/api/improve/stats/nobody_yet").get_json()
    assert body["feedback"]["count"] == 0
    assert body["feedback"]["meanRating"] is None
    assert body["runs"]["successRate"] is None
    assert body["evolver"] == {
        "evolutions": 0,
        "meanIterations": None,
        "meanScoreGain": None,
        "calls": 0,
        "tokens": 0,
    }


def test_another_users_stats_do_not_include_the_callers(
    stats: dict[str, Any], bob: UserClient
) -> None:
    body = bob.get(f"/api/improve/stats/{AGENT}").get_json()
    assert body["feedback"]["count"] == 1
    assert body["runs"] == {"count": 1, "withOutcome": 1, "succeeded": 0, "successRate": 0.0}
    assert body["evolver"]["evolutions"] == 0


def test_a_repeated_agent_step_counts_as_each_run(api: Any) -> None:
    for _ in range(3):  # the same answer each time: one memory, seen three times
        assert run_agent_step("repeat-user", "scribe_01", "generate", {"topic": "Tip"}).success
    body = UserClient(api, "repeat-user").get("/api/improve/stats/scribe_01").get_json()
    assert body["runs"] == {"count": 3, "withOutcome": 3, "succeeded": 3, "successRate": 1.0}


def test_a_malformed_agent_id_in_the_path_is_404(alice: UserClient) -> None:
    assert alice.get("/api/improve/stats/" + "x" * 101).status_code == 404
