"""The goal engine through the real google-genai SDK against the fake Gemini server:
a failing model degrades auto-generation to no goals with a 200, fails decomposition
with a retryable status and stores nothing, and duplicates are judged by the
embeddings' meaning, not by shared words."""

from __future__ import annotations

import math
from typing import Any

from shared.db import Database
from tests.conftest import UserClient
from tests.goals.conftest import events, goals_of, seed_activity
from tests.support.fake_gemini import FakeGemini

ACTIVITY = [("scribe_01", "generate", "failure", 1), ("scribe_01", "generate", "success", 1)]
DIMENSIONS = 768


def axis(i: int, weight: float = 1.0) -> list[float]:
    v = [0.0] * DIMENSIONS
    v[i] = weight
    return v


def blend(a: list[float], b: list[float], cos: float) -> list[float]:
    """A unit vector at cosine ``cos`` to ``a`` (``a`` and ``b`` orthonormal)."""
    s = math.sqrt(1 - cos * cos)
    return [cos * x + s * y for x, y in zip(a, b, strict=True)]


def user_for(api: Any, db: Database, name: str) -> UserClient:
    seed_activity(db, name, ACTIVITY)
    return UserClient(api, name)


def suggestion(title: str) -> dict[str, Any]:
    return {"title": title, "description": "", "priority": 6, "rationale": "from activity"}


def test_auto_generation_with_the_model_down_creates_nothing_and_says_why(
    api: Any, db: Database, fake_gemini: FakeGemini
) -> None:
    user = user_for(api, db, "gem-down")
    fake_gemini.configure(MODEL_MAX_ATTEMPTS=2)
    fake_gemini.fail(503, times=2)
    res = user.post("/api/goals/auto-generate", json={})
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert body["createdGoals"] == [] and body["skipped"] == "analysis_unavailable"
    assert any("analysis is unavailable" in i for i in body["insights"])
    assert goals_of(db, "gem-down") == [] and events(db, "gem-down", "goal.created") == []


def test_a_failed_analysis_gives_the_day_back_for_a_later_try(
    api: Any, db: Database, fake_gemini: FakeGemini
) -> None:
    user = user_for(api, db, "gem-retry")
    fake_gemini.configure(MODEL_MAX_ATTEMPTS=1)
    fake_gemini.fail(503)
    assert user.post("/api/goals/auto-generate", json={}).get_json()["createdGoals"] == []
    fake_gemini.script_json(
        {"suggested_goals": [suggestion("Ship a weekly digest")], "insights": ["busy week"]}
    )
    body = user.post("/api/goals/auto-generate", json={}).get_json()
    assert [g["title"] for g in body["createdGoals"]] == ["Ship a weekly digest"]
    assert body["insights"] == ["busy week"]


def test_decompose_with_the_model_down_is_503_json_and_stores_nothing(
    api: Any, db: Database, fake_gemini: FakeGemini
) -> None:
    user = UserClient(api, "gem-decompose")
    fake_gemini.configure(MODEL_MAX_ATTEMPTS=2)
    goal = user.post("/api/reasoning/goal", json={"title": "Launch a course"}).get_json()["goal"]
    fake_gemini.fail(503, times=2)
    res = user.post(f"/api/reasoning/goal/{goal['id']}/decompose")
    assert res.status_code == 503
    assert "decomposition is unavailable" in res.get_json()["error"]
    assert [g["title"] for g in goals_of(db, "gem-decompose")] == ["Launch a course"]
    assert len(events(db, "gem-decompose", "goal.created")) == 1


def test_decompose_when_the_model_is_rate_limited_is_429(
    api: Any, db: Database, fake_gemini: FakeGemini
) -> None:
    user = UserClient(api, "gem-quota")
    fake_gemini.configure(MODEL_MAX_ATTEMPTS=1)
    goal = user.post("/api/reasoning/goal", json={"title": "Write a book"}).get_json()["goal"]
    fake_gemini.fail(429)
    res = user.post(f"/api/reasoning/goal/{goal['id']}/decompose")
    assert res.status_code == 429 and "rate limited" in res.get_json()["error"]
    assert len(goals_of(db, "gem-quota")) == 1


def test_decompose_stores_the_models_sub_goals(
    api: Any, db: Database, fake_gemini: FakeGemini
) -> None:
    user = UserClient(api, "gem-plan")
    fake_gemini.configure()
    goal = user.post("/api/reasoning/goal", json={"title": "Start a podcast"}).get_json()["goal"]
    fake_gemini.script_json(
        {
            "sub_goals": [
                {"title": "Pick a format", "description": "", "priority": 7},
                {"title": "Record a pilot", "description": "", "priority": 6},
            ]
        }
    )
    res = user.post(f"/api/reasoning/goal/{goal['id']}/decompose")
    assert res.status_code == 200, res.get_json()
    assert [s["title"] for s in res.get_json()["subtasks"]] == ["Pick a format", "Record a pilot"]


def test_a_rephrased_suggestion_close_in_meaning_is_dropped_though_it_shares_no_words(
    api: Any, db: Database, fake_gemini: FakeGemini
) -> None:
    user = user_for(api, db, "gem-rephrase")
    fake_gemini.configure()
    fake_gemini.script_embeddings([axis(0, 2.5)])  # Gemini's vectors are not unit length
    open_goal = "Grow my newsletter audience"
    assert user.post("/api/reasoning/goal", json={"title": open_goal}).status_code == 201
    rephrased, fresh = "Get more people subscribing to the mailing list", "Record a podcast pilot"
    assert not set(open_goal.lower().split()) & set(rephrased.lower().split())
    fake_gemini.script_json(
        {"suggested_goals": [suggestion(rephrased), suggestion(fresh)], "insights": ["ok"]}
    )
    fake_gemini.script_embeddings([blend(axis(0), axis(1), 0.9), axis(2)])
    body = user.post("/api/goals/auto-generate", json={}).get_json()
    assert [g["title"] for g in body["createdGoals"]] == [fresh]
    [dropped] = body["droppedSuggestions"]
    assert dropped["title"] == rephrased and dropped["similarTo"] == open_goal
    assert dropped["source"] == "goal" and abs(dropped["similarity"] - 0.9) < 1e-3


def test_a_suggestion_below_the_threshold_in_meaning_is_kept(
    api: Any, db: Database, fake_gemini: FakeGemini
) -> None:
    user = user_for(api, db, "gem-distinct")
    fake_gemini.configure()
    fake_gemini.script_embeddings([axis(0)])
    assert user.post("/api/reasoning/goal", json={"title": "Grow my newsletter"}).status_code == 201
    fake_gemini.script_json(
        {"suggested_goals": [suggestion("Grow my newsletter revenue")], "insights": []}
    )
    fake_gemini.script_embeddings([blend(axis(0), axis(1), 0.8)])  # threshold 0.85
    body = user.post("/api/goals/auto-generate", json={}).get_json()
    assert [g["title"] for g in body["createdGoals"]] == ["Grow my newsletter revenue"]
