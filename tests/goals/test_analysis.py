"""The activity analysis: last 7 days per agent and interaction type, and the offline
heuristic's suggestions derived from it."""

from __future__ import annotations

import pytest

from shared.db import Database
from shared.goals.analysis import GoalAnalysis, analyze, recent_activity
from shared.model import get_model
from shared.workflows.agent_step import run_agent_step
from tests.goals.conftest import seed_activity


@pytest.fixture(scope="module")
def seeded(db: Database) -> str:
    user = "analyst"
    rows = (
        [("scribe_01", "generate", "success", 1)] * 3
        + [("scribe_01", "generate", "failure", 2)] * 3
        + [("scribe_01", "rewrite", "success", 3)] * 2
        + [("oracle_02", "generate", "success", 1)] * 4
        + [("oracle_02", "generate", "success", 10)] * 9  # older than the window
    )
    seed_activity(db, user, rows)
    seed_activity(db, "someone-else", [("scribe_01", "generate", "failure", 1)] * 5)
    return user


def test_activity_is_counted_per_agent_and_interaction_type_over_seven_days(
    db: Database, seeded: str
) -> None:
    with db.transaction() as tx:
        activity = recent_activity(tx, seeded)
    assert activity == [
        {"agent_id": "scribe_01", "interaction_type": "generate", "count": 6, "success_rate": 0.5},
        {"agent_id": "oracle_02", "interaction_type": "generate", "count": 4, "success_rate": 1.0},
        {"agent_id": "scribe_01", "interaction_type": "rewrite", "count": 2, "success_rate": 1.0},
    ]


def test_a_repeated_agent_interaction_counts_each_time_it_happened(db: Database) -> None:
    for _ in range(3):  # the same answer: one memory, seen three times
        run_agent_step("repeater", "scribe_01", "generate", {"topic": "Daily tip"})
    with db.transaction() as tx:
        assert (
            tx.scalar(
                "SELECT count(*) FROM episodic_memories "
                "WHERE user_id = 'repeater' AND interaction_type = 'generate'"
            )
            == 1
        )
        activity = recent_activity(tx, "repeater")
    assert activity == [
        {"agent_id": "scribe_01", "interaction_type": "generate", "count": 3, "success_rate": 1.0}
    ]


def test_the_weakest_agent_and_the_busiest_interaction_become_suggestions(
    seeded: str,
) -> None:
    analysis = analyze(seeded)
    assert analysis.available
    titles = [s.title for s in analysis.suggestions]
    assert titles == ["Improve the success rate of scribe_01", "Scale up generate"]
    weakest = analysis.suggestions[0]
    assert "5 of 8 interactions succeeded" in weakest.rationale
    assert 1 <= weakest.priority <= 10


def test_the_offline_analysis_says_it_is_heuristic(seeded: str) -> None:
    analysis = analyze(seeded)
    assert "heuristic" in analysis.insights[0].lower()
    assert "12 interactions across 2 agents" in analysis.insights[1]


def test_a_user_without_activity_gets_one_suggestion_to_start(db: Database) -> None:
    analysis = analyze("idle-user")
    assert [s.title for s in analysis.suggestions] == ["Establish a weekly creation routine"]


def test_an_agent_that_always_succeeds_gets_no_improvement_goal(db: Database) -> None:
    seed_activity(db, "flawless", [("scribe_01", "generate", "success", 1)] * 5)
    titles = [s.title for s in analyze("flawless").suggestions]
    assert titles == ["Scale up generate"]


def test_the_heuristic_answer_fits_the_schema_the_model_is_given(seeded: str) -> None:
    answer = get_model().generate_structured(
        "x", GoalAnalysis, data={"activity": [], "currentGoals": []}
    )
    assert 1 <= len(answer.value.suggested_goals) <= 3
