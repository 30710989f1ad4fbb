"""Improvement analysis through the real google-genai SDK against the fake Gemini
server, at the HTTP level: a failing model degrades to a 200 with no proposals and
stores nothing; a scripted answer becomes stored proposals."""

from __future__ import annotations

from shared.db import Database
from tests.conftest import UserClient
from tests.improve.conftest import count
from tests.support.fake_gemini import FakeGemini


def complain(user: UserClient, agent: str) -> None:
    for rating, comment in [(1, "Way too long"), (2, "Rambling and verbose")]:
        res = user.post(
            "/api/improve/feedback", json={"agentId": agent, "rating": rating, "comment": comment}
        )
        assert res.status_code == 201, res.get_json()


def stored(db: Database, agent: str) -> int:
    return count(db, "SELECT count(*) FROM agent_improvements WHERE agent_id = %s", (agent,))


def test_analysis_with_the_model_down_is_a_degraded_200_with_no_proposals(
    alice: UserClient, db: Database, fake_gemini: FakeGemini
) -> None:
    complain(alice, "gem_down")
    fake_gemini.configure(MODEL_MAX_ATTEMPTS=2)
    fake_gemini.fail(503, times=2)
    res = alice.get("/api/improve/analyze/gem_down")
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert body["proposals"] == [] and body["duplicates"] == []
    assert body["note"] == "analysis unavailable: the model failed (retryable)"
    assert body["usage"]["calls"] == 2
    assert stored(db, "gem_down") == 0


def test_analysis_with_an_unusable_reply_is_a_degraded_200(
    alice: UserClient, db: Database, fake_gemini: FakeGemini
) -> None:
    complain(alice, "gem_garbage")
    fake_gemini.configure(MODEL_MAX_ATTEMPTS=1)
    fake_gemini.garbage()
    res = alice.get("/api/improve/analyze/gem_garbage")
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["proposals"] == []
    assert stored(db, "gem_garbage") == 0


def test_the_models_proposals_are_stored_with_gemini_embeddings(
    alice: UserClient, db: Database, fake_gemini: FakeGemini
) -> None:
    complain(alice, "gem_ok")
    settings = fake_gemini.configure()
    fake_gemini.script_json(
        {
            "proposals": [
                {
                    "improvement": "Keep answers under 150 words.",
                    "confidence": 0.6,
                    "evidence": [{"feedback_id": None, "quote": "Way too long"}],
                }
            ],
            "note": "",
        }
    )
    res = alice.get("/api/improve/analyze/gem_ok")
    assert res.status_code == 200, res.get_json()
    [proposal] = res.get_json()["proposals"]
    assert proposal["improvement"] == "Keep answers under 150 words."
    assert (
        count(
            db,
            "SELECT count(*) FROM agent_improvements WHERE agent_id = 'gem_ok' "
            "AND embedding IS NOT NULL AND embedding_model = %s",
            (settings.embedding_model,),
        )
        == 1
    )
