"""Event types the bundle answers itself cannot be published by users."""

from __future__ import annotations

import pytest

from shared.db import Database
from tests.conftest import UserClient

RESERVED = ["goals.generation_requested", "memory.consolidation_requested"]


@pytest.mark.parametrize("event_type", RESERVED)
def test_publishing_a_system_event_type_is_422_and_records_nothing(
    db: Database, alice: UserClient, event_type: str
) -> None:
    res = alice.post(
        "/api/events", json={"eventType": event_type, "payload": {"day": "2020-01-01"}}
    )
    assert res.status_code == 422
    assert "reserved" in res.get_json()["error"]
    with db.transaction() as tx:
        assert (
            tx.scalar("SELECT count(*) FROM usage_events WHERE event_type = %s", (event_type,)) == 0
        )


@pytest.mark.parametrize("event_type", RESERVED)
def test_a_workflow_cannot_emit_a_system_event_type(alice: UserClient, event_type: str) -> None:
    steps = [{"id": "e", "type": "emit", "config": {"eventType": event_type, "payload": {}}}]
    res = alice.post("/api/workflow", json={"name": "sneaky", "steps": steps})
    assert res.status_code == 422
    assert "reserved" in res.get_json()["error"] and "e" in res.get_json()["error"]


def test_an_ordinary_user_event_type_is_still_published(alice: UserClient) -> None:
    res = alice.post("/api/events", json={"eventType": "content.idea", "payload": {}})
    assert res.status_code == 202
