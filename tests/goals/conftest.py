"""Seeding helpers for the goal tests: episodic activity written straight to the
table the analysis reads, and the events a change recorded in the outbox."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from shared import bootstrap
from shared.config import Settings
from shared.db import Database

Activity = tuple[str, str, str, int]  # agent_id, interaction_type, outcome, days ago


def seed_activity(db: Database, user_id: str, rows: Iterable[Activity]) -> None:
    with db.transaction() as tx:
        tx.executemany(
            "INSERT INTO episodic_memories (user_id, agent_id, interaction_type, outcome, "
            "created_at) VALUES (%s, %s, %s, %s, now() - make_interval(days => %s))",
            [(user_id, agent, kind, outcome, days) for agent, kind, outcome, days in rows],
        )


def events(db: Database, user_id: str, event_type: str) -> list[dict[str, Any]]:
    with db.transaction() as tx:
        rows = tx.all(
            "SELECT event_data FROM usage_events WHERE user_id = %s AND event_type = %s "
            "ORDER BY created_at",
            (user_id, event_type),
        )
    return [r["event_data"] for r in rows]


def goals_of(db: Database, user_id: str) -> list[dict[str, Any]]:
    with db.transaction() as tx:
        return tx.all(
            "SELECT id, title, status, parent_id, context FROM goals WHERE user_id = %s "
            "ORDER BY created_at",
            (user_id,),
        )


@contextmanager
def configured(settings: Settings, **env: str) -> Iterator[None]:
    """Run with some variables changed (by their environment names), then restore."""
    bootstrap.configure(Settings.model_validate({**settings.model_dump(by_alias=True), **env}))
    try:
        yield
    finally:
        bootstrap.configure(settings)
