"""The daily consolidation request: one event per recently active user, once a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.db import Database
from shared.scheduler.consolidate import request_consolidation
from tests.scheduler.conftest import rows


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


NOW = utc(2026, 11, 27, 3, 0)


def requested(db: Database) -> list[str]:
    found = rows(
        db,
        "SELECT user_id FROM usage_events WHERE event_type = 'memory.consolidation_requested' "
        "ORDER BY user_id",
    )
    return [r["user_id"] for r in found]


def active(db: Database, user: str, when: datetime, *, memory: bool) -> None:
    with db.transaction() as tx:
        if memory:
            tx.execute(
                "INSERT INTO episodic_memories (user_id, created_at) VALUES (%s, %s)", (user, when)
            )
        else:
            tx.execute(
                "INSERT INTO usage_events (user_id, event_type, created_at) "
                "VALUES (%s, 'content.generated', %s)",
                (user, when),
            )


def test_one_event_per_user_active_in_the_last_week_once_a_day(settings: Any, db: Database) -> None:
    active(db, "carol", NOW - timedelta(days=1), memory=True)
    active(db, "dave", NOW - timedelta(days=6), memory=False)
    active(db, "carol", NOW - timedelta(days=2), memory=False)
    active(db, "erin", NOW - timedelta(days=8), memory=True)
    first = request_consolidation(now=NOW)
    assert first == {"status": "requested", "day": "2026-11-27", "users": 2}
    assert requested(db) == ["carol", "dave"]
    again = request_consolidation(now=NOW + timedelta(hours=5))
    assert again["status"] == "already_done" and requested(db) == ["carol", "dave"]


def test_the_sweeps_own_events_do_not_count_as_activity(settings: Any, db: Database) -> None:
    with db.transaction() as tx:
        tx.execute("DELETE FROM usage_events WHERE event_type <> 'memory.consolidation_requested'")
        tx.execute("DELETE FROM episodic_memories")
    result = request_consolidation(now=NOW + timedelta(days=1))
    assert result["users"] == 0


def test_schedule_fire_accepts_the_consolidate_body(fire: Any) -> None:
    res = fire.post("/", json={"consolidate": True})
    assert res.status_code == 200 and res.get_json()["status"] in ("requested", "already_done")
