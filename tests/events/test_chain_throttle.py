"""Depth bounds how long an event chain gets; EVENT_CHAIN_PER_MINUTE bounds how wide."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared import bootstrap
from shared.config import Settings
from shared.db import Database
from shared.events import outbox
from shared.events.dispatch import dispatch
from shared.events.envelope import Envelope
from tests.conftest import test_settings


@pytest.fixture(scope="module")
def settings(db_url: str) -> Settings:
    s = test_settings(db_url, EVENT_CHAIN_PER_MINUTE=2, EVENT_BUS="off")
    bootstrap.configure(s)
    return s


def recorded(db: Database, user: str, depth: int) -> Envelope:
    with db.transaction() as tx:
        event_id = outbox.record(tx, user, "content.idea", {}, depth=depth)
    return Envelope.model_validate(
        {
            "eventId": event_id,
            "eventType": "content.idea",
            "userId": user,
            "payload": {},
            "depth": depth,
            "occurredAt": "2026-11-27T09:00:00+00:00",
        }
    )


def status(db: Database, event_id: Any) -> str:
    with db.transaction() as tx:
        return str(
            tx.scalar("SELECT dispatch_status FROM usage_events WHERE id = %s", (str(event_id),))
        )


def test_caused_events_past_the_per_minute_budget_are_recorded_not_dispatched(db: Database) -> None:
    chained = [recorded(db, "wide", 1) for _ in range(3)]
    outcomes = [dispatch(e).status for e in chained]
    assert outcomes == ["dispatched", "dispatched", "throttled"]
    assert status(db, chained[2].event_id) == "throttled"
    assert dispatch(chained[2]).status == "duplicate"


def test_events_a_user_published_directly_are_not_throttled(db: Database) -> None:
    direct = [recorded(db, "direct", 0) for _ in range(4)]
    assert [dispatch(e).status for e in direct] == ["dispatched"] * 4


def test_the_budget_is_per_user(db: Database) -> None:
    assert dispatch(recorded(db, f"other-{uuid.uuid4().hex[:6]}", 1)).status == "dispatched"
