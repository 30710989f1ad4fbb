"""``POST /api/oracle/evolve`` and the private ``evolve`` function on the offline
model, as ``make run`` serves them: the whole loop with the offline critic and
reviser, bad bodies refused naming the field, nothing recorded for them."""

from __future__ import annotations

from typing import Any

import pytest

from shared.config import Settings
from shared.db import Database
from shared.evolver.schemas import MAX_CONTEXT_CHARS, MAX_OUTPUT_CHARS
from shared.memory.soul import ingest
from tests.conftest import UserClient, function_client
from tests.evolver.conftest import evolutions

OFF_BRAND = (
    "Pure hustle today in the studio. Pure hustle today in the studio. "
    "Our new presets are a game-changer for your light."
)


@pytest.fixture(scope="module", autouse=True)
def souls(db: Database) -> None:
    for user in ("alice", "nina"):
        ingest(user, {"tone": "calm", "avoid": ["hustle"], "vocabulary": ["light"]})


def test_the_offline_model_evolves_an_off_brand_post(alice: UserClient, db: Database) -> None:
    res = alice.post("/api/oracle/evolve", json={"agentId": "scribe_01", "output": OFF_BRAND})
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert body["original"] == OFF_BRAND
    assert "hustle" not in body["evolved"].lower() and "game-changer" not in body["evolved"]
    assert body["evolved"].count("in the studio") == 1
    assert body["finalScore"] > body["initialScore"] and body["iterations"] >= 1
    assert body["usage"]["modelCalls"] == body["usage"]["calls"] <= 7
    assert body["logged"] is True
    assert evolutions(db, "alice")[-1]["context"]["evolutionId"] == body["evolutionId"]


def test_the_offline_model_tells_one_story_about_a_shouted_short_draft(
    alice: UserClient,
) -> None:
    context = {"topic": "the spring preset pack", "audience": "portrait photographers"}
    res = alice.post(
        "/api/oracle/evolve",
        json={
            "agentId": "scribe_01",
            "output": "NEW LIGHT PRESETS!!! BUY NOW!!!",
            "context": context,
        },
    )
    body = res.get_json()
    first = body["evolutionLog"][0]
    assert body["initialScore"] < 0.85 and first["shouldImprove"] and first["suggestions"]
    assert body["evolved"] == (
        "New light presets! Buy now. About the spring preset pack. For portrait photographers."
    )
    assert body["finalScore"] >= 0.85 and body["stopReason"] == "passed"


def test_an_offline_critique_with_issues_it_cannot_fix_is_never_satisfied(
    alice: UserClient,
) -> None:
    res = alice.post("/api/oracle/evolve", json={"agentId": "scribe_01", "output": "Soft, early."})
    body = res.get_json()
    assert body["evolutionLog"][0]["issues"] and body["iterations"] == 0
    assert body["stopReason"] == "critic has no fix"


def test_the_offline_model_keeps_an_object_outputs_shape(alice: UserClient) -> None:
    post = {"title": "Presets", "content": OFF_BRAND, "words": 20, "tags": ["light"]}
    res = alice.post("/api/oracle/evolve", json={"agentId": "scribe_01", "output": post})
    body = res.get_json()
    assert list(body["evolved"]) == list(body["original"])  # the test client sorts keys
    assert body["evolved"]["words"] == 20 and body["evolved"]["tags"] == ["light"]
    assert "hustle" not in body["evolved"]["content"].lower()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"output": "text"}, "agentId"),
        ({"agentId": "bad agent!", "output": "text"}, "agentId"),
        ({"agentId": "scribe_01"}, "output"),
        ({"agentId": "scribe_01", "output": "   "}, "output"),
        ({"agentId": "scribe_01", "output": 42}, "output"),
        ({"agentId": "scribe_01", "output": ["a", "b"]}, "output"),
        ({"agentId": "scribe_01", "output": {}}, "output"),
        ({"agentId": "scribe_01", "output": "x" * (MAX_OUTPUT_CHARS + 1)}, "output"),
        (
            {"agentId": "scribe_01", "output": "t", "context": "c" * (MAX_CONTEXT_CHARS + 1)},
            "context",
        ),
    ],
)
def test_a_bad_body_is_a_422_naming_the_field_and_records_nothing(
    bob: UserClient, db: Database, body: dict[str, Any], field: str
) -> None:
    res = bob.post("/api/oracle/evolve", json=body)
    assert res.status_code == 422
    assert field in res.get_json()["error"]
    assert evolutions(db, "bob") == []


def test_a_body_that_is_not_an_object_is_a_400(bob: UserClient) -> None:
    assert bob.post("/api/oracle/evolve", json=["scribe_01"]).status_code == 400


def test_the_private_function_evolves_for_the_user_named_in_the_body(db: Database) -> None:
    client = function_client("evolve")
    body = {"userId": "nina", "agentId": "scribe_01", "output": OFF_BRAND, "context": "launch"}
    res = client.post("/", json=body)
    assert res.status_code == 200, res.get_json()
    answer = res.get_json()
    assert "hustle" not in answer["evolved"].lower()
    assert evolutions(db, "nina")[-1]["context"]["evolutionId"] == answer["evolutionId"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"agentId": "scribe_01", "output": "text"}, 422, "userId"),
        ({"userId": "  ", "agentId": "scribe_01", "output": "text"}, 422, "userId"),
        ({"userId": "nina", "agentId": "scribe_01", "output": ""}, 422, "output"),
        (["not", "an", "object"], 400, "JSON object"),
    ],
)
def test_the_private_function_refuses_a_bad_body(body: Any, status: int, field: str) -> None:
    res = function_client("evolve").post("/", json=body)
    assert res.status_code == status
    assert field in res.get_json()["error"]


def test_the_private_function_answers_only_post(settings: Settings) -> None:
    assert function_client("evolve").get("/").status_code == 405
