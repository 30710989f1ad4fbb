"""Feedback and metrics: stored for the caller, announced by feedback.received, and
refused with a 422 naming the field when invalid (nothing written)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.db import Database
from tests.conftest import UserClient
from tests.improve.conftest import count


def test_feedback_is_stored_for_the_caller_and_answered_with_201(alice: UserClient) -> None:
    res = alice.post(
        "/api/improve/feedback",
        json={"agentId": "scribe_01", "rating": 2, "comment": "too long", "outputId": "run-1"},
    )
    assert res.status_code == 201
    body = res.get_json()
    assert body["success"] is True
    fb = body["feedback"]
    assert (fb["user_id"], fb["agent_id"], fb["rating"]) == ("alice", "scribe_01", 2)
    assert (fb["comment"], fb["output_id"]) == ("too long", "run-1")


def test_feedback_keeps_the_rated_output_as_json(alice: UserClient) -> None:
    output = {"title": "Hello", "body": "World"}
    res = alice.post(
        "/api/improve/feedback", json={"agentId": "scribe_02", "rating": 5, "output": output}
    )
    assert res.status_code == 201
    assert res.get_json()["feedback"]["output"] == output


def test_feedback_records_a_feedback_received_event(alice: UserClient, db: Database) -> None:
    res = alice.post("/api/improve/feedback", json={"agentId": "scribe_03", "rating": 1})
    feedback_id = res.get_json()["feedback"]["id"]
    with db.transaction() as tx:
        events = tx.all(
            "SELECT user_id, event_data FROM usage_events WHERE event_type = "
            "'feedback.received' AND event_data->>'feedbackId' = %s",
            (feedback_id,),
        )
    assert len(events) == 1
    assert events[0]["user_id"] == "alice"
    assert events[0]["event_data"]["agentId"] == "scribe_03"
    assert events[0]["event_data"]["rating"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rating": 3}, "agentId"),
        ({"agentId": "", "rating": 3}, "agentId"),
        ({"agentId": "has spaces", "rating": 3}, "agentId"),
        ({"agentId": "scribe_bad"}, "rating"),
        ({"agentId": "scribe_bad", "rating": 0}, "rating"),
        ({"agentId": "scribe_bad", "rating": 6}, "rating"),
        ({"agentId": "scribe_bad", "rating": 4.5}, "rating"),
        ({"agentId": "scribe_bad", "rating": "3"}, "rating"),
        ({"agentId": "scribe_bad", "rating": 3, "comment": "x" * 5001}, "comment"),
        ({"agentId": "scribe_bad", "rating": 3, "outputId": ""}, "outputId"),
        ({"agentId": "scribe_bad", "rating": 3, "output": [1, 2]}, "output"),
    ],
)
def test_invalid_feedback_is_a_422_naming_the_field_and_stores_nothing(
    alice: UserClient, db: Database, body: dict[str, Any], field: str
) -> None:
    before = count(db, "SELECT count(*) FROM agent_feedback")
    events = count(db, "SELECT count(*) FROM usage_events")
    res = alice.post("/api/improve/feedback", json=body)
    assert res.status_code == 422
    assert field in res.get_json()["error"]
    assert count(db, "SELECT count(*) FROM agent_feedback") == before
    assert count(db, "SELECT count(*) FROM usage_events") == events


def test_feedback_without_a_token_is_401(api: Any) -> None:
    res = api.post("/api/improve/feedback", json={"agentId": "scribe_01", "rating": 3})
    assert res.status_code == 401


def test_a_metric_is_stored_for_the_caller_and_answered_with_201(alice: UserClient) -> None:
    res = alice.post(
        "/api/improve/metric", json={"name": "engagement", "value": 0.42, "agentId": "scribe_01"}
    )
    assert res.status_code == 201
    metric = res.get_json()["metric"]
    assert (metric["user_id"], metric["name"], metric["value"]) == ("alice", "engagement", 0.42)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"value": 1, "agentId": "a"}, "name"),
        ({"name": "rating", "value": 1, "agentId": "a"}, "name"),
        ({"name": "bad name!", "value": 1, "agentId": "a"}, "name"),
        ({"name": "clicks", "agentId": "a"}, "value"),
        ({"name": "clicks", "value": "many", "agentId": "a"}, "value"),
        ({"name": "clicks", "value": 1}, "agentId"),
    ],
)
def test_an_invalid_metric_is_a_422_naming_the_field_and_stores_nothing(
    alice: UserClient, db: Database, body: dict[str, Any], field: str
) -> None:
    before = count(db, "SELECT count(*) FROM agent_metrics")
    res = alice.post("/api/improve/metric", json=body)
    assert res.status_code == 422
    assert field in res.get_json()["error"]
    assert count(db, "SELECT count(*) FROM agent_metrics") == before


def test_a_non_finite_metric_value_is_refused(alice: UserClient) -> None:
    res = alice.post(
        "/api/improve/metric",
        data='{"name": "clicks", "value": NaN, "agentId": "a"}',
        content_type="application/json",
    )
    assert res.status_code == 422
    assert "value" in res.get_json()["error"]
