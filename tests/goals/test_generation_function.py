"""The goal-generation function, as Cloud Scheduler calls it, for one user."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shared.config import Settings
from shared.db import Database
from shared.events.handlers import system_handlers
from shared.goals.generation import today
from tests.conftest import function_client
from tests.goals.conftest import configured, goals_of, seed_activity

ACTIVITY = [("scribe_01", "generate", "failure", 1)] * 2 + [("scribe_01", "generate", "success", 1)]


@pytest.fixture(scope="module")
def fn(settings: Settings) -> Any:
    return function_client("goal_generation")


def test_a_named_user_gets_goals_once_a_day(fn: Any, db: Database) -> None:
    seed_activity(db, "fn-user", ACTIVITY)
    first = fn.post("/", json={"userId": "fn-user"})
    assert first.status_code == 200
    assert first.get_json() == {"userId": "fn-user", "created": 2, "dropped": 0, "skipped": None}
    second = fn.post("/", json={"userId": "fn-user"}).get_json()
    assert second["created"] == 0 and second["skipped"] == "daily_limit"
    assert len(goals_of(db, "fn-user")) == 2


@pytest.mark.parametrize(
    "body",
    ['{"userId": ', "[1]", '"fn"', '{"userId": 5}', '{"userId": ""}', '{"userId": "a", "x": 1}'],
)
def test_a_bad_body_is_acknowledged_recorded_and_runs_nothing(
    fn: Any, db: Database, body: str
) -> None:
    res = fn.post("/", data=body, content_type="application/json")
    assert res.status_code == 200
    assert res.get_json()["status"] == "rejected" and res.get_json()["error"]
    with db.transaction() as tx:
        assert tx.scalar("SELECT count(*) FROM goal_sweeps") == 0
        assert (
            tx.scalar(
                "SELECT count(*) FROM rejected_deliveries WHERE source = 'goal-generation' AND body = %s",
                (body,),
            )
            == 1
        )


def test_only_post_is_accepted(fn: Any) -> None:
    assert fn.get("/").status_code == 405


def test_an_unavailable_database_is_503_so_the_scheduler_retries(
    fn: Any, settings: Settings
) -> None:
    with configured(settings, DATABASE_URL="postgresql://segp@127.0.0.1:9/none"):
        res = fn.post("/", json={"userId": "fn-user"})
    assert res.status_code == 503
    assert "database" in res.get_json()["error"]


def test_the_system_handler_generates_for_the_events_user_once(db: Database) -> None:
    seed_activity(db, "fn-event-user", ACTIVITY)
    handler = system_handlers["goals.generation_requested"]
    envelope = {
        "eventType": "goals.generation_requested",
        "userId": "fn-event-user",
        "payload": {"day": today().isoformat()},
    }
    handler(envelope)
    handler(envelope)
    assert len(goals_of(db, "fn-event-user")) == 2


def test_a_request_more_than_a_day_late_is_ignored(db: Database) -> None:
    seed_activity(db, "fn-late-user", ACTIVITY)
    stale = (today() - timedelta(days=2)).isoformat()
    system_handlers["goals.generation_requested"](
        {"userId": "fn-late-user", "payload": {"day": stale}}
    )
    assert goals_of(db, "fn-late-user") == []
