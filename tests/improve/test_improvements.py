"""Improvements: proposed from low-rated feedback, stored without near-duplicates,
activated by acceptance or by confidence, and handed to the Evolver as the active list.
The offline model answers here (its keyword-theme heuristic); the Gemini path is
exercised against the fake Gemini server."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pgvector import Vector

from shared import bootstrap
from shared.config import Settings
from shared.db import Database
from shared.improve import analysis
from shared.improve.proposals import Evidence, ImprovementAnalysis, ProposedImprovement
from shared.improve.service import active_improvements
from shared.model.offline import OfflineModel
from shared.model.port import ModelFailure, Result, T, TaskType, Usage
from tests.conftest import UserClient, test_settings
from tests.improve.conftest import count

CONCISE = "Keep outputs concise: cut filler and stay within the length asked for."
PROOFREAD = "Proofread spelling, grammar and punctuation before delivering."


@contextmanager
def configured(settings: Settings, **overrides: Any) -> Iterator[None]:
    assert settings.database_url is not None
    bootstrap.configure(test_settings(settings.database_url, **overrides))
    try:
        yield
    finally:
        bootstrap.configure(settings)


def rate(user: UserClient, agent: str, rating: int, comment: str) -> str:
    res = user.post(
        "/api/improve/feedback", json={"agentId": agent, "rating": rating, "comment": comment}
    )
    assert res.status_code == 201
    return str(res.get_json()["feedback"]["id"])


def complain(user: UserClient, agent: str) -> list[str]:
    return [
        rate(user, agent, 1, "Way too long and rambling"),
        rate(user, agent, 2, "This is far too verbose"),
        rate(user, agent, 2, "typos everywhere"),
        rate(user, agent, 5, "too long but I loved it"),
    ]


def add_improvement(db: Database, user: str, agent: str, text: str, model: str) -> str:
    vector = OfflineModel().embed([text]).value[0]
    with db.transaction() as tx:
        return str(
            tx.scalar(
                "INSERT INTO agent_improvements (user_id, agent_id, improvement, embedding, "
                "embedding_model) VALUES (%s, %s, %s, %s::vector, %s) RETURNING id",
                (user, agent, text, Vector(vector), model),
            )
        )


def test_low_ratings_lead_to_proposals_with_their_evidence(alice: UserClient) -> None:
    ids = complain(alice, "ana_1")
    res = alice.get("/api/improve/analyze/ana_1")
    assert res.status_code == 200
    body = res.get_json()
    by_text = {p["improvement"]: p for p in body["proposals"]}
    assert set(by_text) == {CONCISE, PROOFREAD}
    concise = by_text[CONCISE]
    assert concise["status"] == "proposed"
    assert concise["confidence"] > by_text[PROOFREAD]["confidence"]
    assert {e["feedbackId"] for e in concise["evidence"]} == {ids[0], ids[1]}
    assert "heuristic" in body["note"]


def test_a_second_analysis_stores_no_duplicates(alice: UserClient, db: Database) -> None:
    complain(alice, "ana_2")
    first = alice.get("/api/improve/analyze/ana_2").get_json()
    second = alice.get("/api/improve/analyze/ana_2").get_json()
    assert len(first["proposals"]) == 2
    assert second["proposals"] == []
    total = count(db, "SELECT count(*) FROM agent_improvements WHERE agent_id = 'ana_2'")
    assert total == 2


def test_a_rephrased_existing_improvement_is_a_duplicate(alice: UserClient, db: Database) -> None:
    model = OfflineModel.embedding_model
    text = "Keep outputs concise: cut the filler and stay within the length asked for."
    existing = add_improvement(db, "alice", "ana_3", text, model)
    complain(alice, "ana_3")
    body = alice.get("/api/improve/analyze/ana_3").get_json()
    assert [p["improvement"] for p in body["proposals"]] == [PROOFREAD]
    assert body["duplicates"][0]["duplicateOf"] == existing
    assert body["duplicates"][0]["similarity"] >= 0.9


def test_the_dedupe_threshold_is_configurable(
    alice: UserClient, db: Database, settings: Settings
) -> None:
    model = OfflineModel.embedding_model
    add_improvement(
        db, "alice", "ana_4", "Keep outputs concise and stay within the length asked for.", model
    )
    add_improvement(
        db, "alice", "ana_5", "Keep outputs concise and stay within the length asked for.", model
    )
    complain(alice, "ana_4")
    complain(alice, "ana_5")
    loose = alice.get("/api/improve/analyze/ana_4").get_json()
    with configured(settings, IMPROVE_DEDUPE_THRESHOLD="0.8"):
        strict = alice.get("/api/improve/analyze/ana_5").get_json()
    assert CONCISE in [p["improvement"] for p in loose["proposals"]]
    assert CONCISE not in [p["improvement"] for p in strict["proposals"]]


def test_rows_of_another_embedding_model_are_not_compared(alice: UserClient, db: Database) -> None:
    # a rephrasing that would be a duplicate under the same embedding model
    text = "Keep outputs concise: cut the filler and stay within the length asked for."
    add_improvement(db, "alice", "ana_6", text, "some-other-embedder")
    complain(alice, "ana_6")
    body = alice.get("/api/improve/analyze/ana_6").get_json()
    assert CONCISE in [p["improvement"] for p in body["proposals"]]


def test_a_confident_proposal_is_activated_at_once(alice: UserClient, settings: Settings) -> None:
    complain(alice, "ana_7")
    with configured(settings, IMPROVE_AUTO_ACTIVATE_CONFIDENCE="0.6"):
        body = alice.get("/api/improve/analyze/ana_7").get_json()
    status = {p["improvement"]: p["status"] for p in body["proposals"]}
    assert status == {CONCISE: "active", PROOFREAD: "proposed"}
    assert active_improvements("alice", "ana_7") == [CONCISE]


def test_an_accepted_improvement_becomes_active_for_the_evolver(alice: UserClient) -> None:
    complain(alice, "ana_8")
    proposals = alice.get("/api/improve/analyze/ana_8").get_json()["proposals"]
    assert active_improvements("alice", "ana_8") == []
    chosen = next(p for p in proposals if p["improvement"] == CONCISE)
    res = alice.post(f"/api/improve/improvements/{chosen['id']}/accept")
    assert res.status_code == 200
    assert res.get_json()["improvement"]["status"] == "active"
    assert active_improvements("alice", "ana_8") == [CONCISE]
    listed = alice.get("/api/improve/improvements/ana_8").get_json()
    assert [i["id"] for i in listed] == [chosen["id"]]


def test_a_rejected_improvement_is_no_longer_active(alice: UserClient) -> None:
    complain(alice, "ana_9")
    proposals = alice.get("/api/improve/analyze/ana_9").get_json()["proposals"]
    for p in proposals:
        alice.post(f"/api/improve/improvements/{p['id']}/accept")
    res = alice.post(f"/api/improve/improvements/{proposals[0]['id']}/reject")
    assert res.get_json()["improvement"]["status"] == "rejected"
    assert active_improvements("alice", "ana_9") == [proposals[1]["improvement"]]
    rejected = alice.get("/api/improve/improvements/ana_9?status=rejected").get_json()
    assert [r["id"] for r in rejected] == [proposals[0]["id"]]


def test_active_improvements_keep_the_order_they_were_accepted_in(alice: UserClient) -> None:
    complain(alice, "ana_10")
    proposals = alice.get("/api/improve/analyze/ana_10").get_json()["proposals"]
    for p in reversed(proposals):
        alice.post(f"/api/improve/improvements/{p['id']}/accept")
    expected = [p["improvement"] for p in reversed(proposals)]
    assert active_improvements("alice", "ana_10") == expected
    assert active_improvements("alice", "ana_10") == expected


def test_another_users_improvement_cannot_be_decided(alice: UserClient, bob: UserClient) -> None:
    complain(alice, "ana_11")
    proposal = alice.get("/api/improve/analyze/ana_11").get_json()["proposals"][0]
    for action in ("accept", "reject"):
        assert bob.post(f"/api/improve/improvements/{proposal['id']}/{action}").status_code == 404
    listed = alice.get("/api/improve/improvements/ana_11?status=all").get_json()
    assert [i["status"] for i in listed if i["id"] == proposal["id"]] == ["proposed"]
    assert bob.get("/api/improve/improvements/ana_11?status=all").get_json() == []


def test_a_malformed_or_unknown_improvement_id_is_404(alice: UserClient) -> None:
    assert alice.post("/api/improve/improvements/not-a-uuid/accept").status_code == 404
    unknown = "00000000-0000-0000-0000-000000000000"
    assert alice.post(f"/api/improve/improvements/{unknown}/reject").status_code == 404


def test_an_unknown_status_filter_is_a_422_naming_it(alice: UserClient) -> None:
    res = alice.get("/api/improve/improvements/ana_1?status=bogus")
    assert res.status_code == 422
    assert "status" in res.get_json()["error"]


def test_without_low_rated_feedback_nothing_is_proposed(alice: UserClient) -> None:
    rate(alice, "ana_12", 5, "too long but great")
    body = alice.get("/api/improve/analyze/ana_12").get_json()
    assert body["proposals"] == []
    assert body["usage"]["calls"] == 0
    assert "no recent low-rated feedback" in body["note"]


def test_another_users_feedback_is_not_analysed(alice: UserClient, bob: UserClient) -> None:
    complain(alice, "ana_13")
    body = bob.get("/api/improve/analyze/ana_13").get_json()
    assert body["proposals"] == []


class FailingModel(OfflineModel):
    """A model adapter whose generation always fails, as Gemini does when it is down."""

    def generate_structured(
        self,
        prompt: str,
        schema: type[T],
        *,
        system: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Result[T]:
        raise ModelFailure("unavailable", kind="retryable", usage=Usage(calls=4))


class FixedAnswerModel(OfflineModel):
    """A model adapter that answers one fixed analysis, whatever it is shown."""

    def __init__(self, answer: ImprovementAnalysis) -> None:
        self.answer = answer

    def generate_structured(
        self,
        prompt: str,
        schema: type[T],
        *,
        system: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Result[T]:
        return Result(schema.model_validate(self.answer.model_dump()), Usage(calls=1))

    def embed(
        self, texts: list[str], task_type: TaskType = "RETRIEVAL_DOCUMENT"
    ) -> Result[list[list[float]]]:
        return super().embed(texts, task_type)


def test_a_model_failure_degrades_to_no_proposals_with_a_note(
    alice: UserClient, db: Database, settings: Settings
) -> None:
    complain(alice, "ana_14")
    body = analysis.analyze("alice", "ana_14", model=FailingModel())
    assert body["proposals"] == []
    assert "model failed" in body["note"]
    assert body["usage"]["calls"] == 4
    assert count(db, "SELECT count(*) FROM agent_improvements WHERE agent_id = 'ana_14'") == 0


def test_evidence_citing_feedback_the_model_was_not_shown_loses_its_id(
    alice: UserClient,
) -> None:
    ids = complain(alice, "ana_15")
    answer = ImprovementAnalysis(
        proposals=[
            ProposedImprovement(
                improvement="  Open with   the main point.  ",
                confidence=1.7,
                evidence=[
                    Evidence(feedback_id=ids[0], quote="Way too long"),
                    Evidence(feedback_id="invented-id", quote="made up"),
                ],
            )
        ]
    )
    body = analysis.analyze("alice", "ana_15", model=FixedAnswerModel(answer))
    [stored] = body["proposals"]
    assert stored["improvement"] == "Open with the main point."
    assert stored["confidence"] == 1.0
    assert stored["status"] == "active"
    assert [e["feedbackId"] for e in stored["evidence"]] == [ids[0], None]
