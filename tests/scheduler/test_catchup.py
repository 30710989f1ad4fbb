"""The per-minute tick in ``mirror`` mode: Cloud Scheduler fires the slots; the tick
only catches up those that were missed, under the same key a delivery of that slot
has, so a slot never runs twice."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shared.db import Database
from shared.scheduler.fire import Delivery, fire
from shared.scheduler.tick import tick
from tests.scheduler.conftest import make_workflow
from tests.scheduler.ticks import due_task, history, pause_all, run_count, utc


@pytest.fixture(scope="module")
def wf(settings: Any) -> str:
    return make_workflow("alice")


@pytest.fixture(autouse=True)
def isolated(db: Database) -> Iterator[None]:
    yield
    pause_all(db)


def test_a_slot_within_the_grace_is_left_to_cloud_scheduler(
    alice: Any, wf: str, db: Database
) -> None:
    tid = due_task(alice, wf, "* * * * *", utc(2026, 11, 27, 10, 0), db)
    result = tick(now=utc(2026, 11, 27, 10, 0, 45))
    assert result["mode"] == "mirror" and result["due"] == 0
    assert history(db, tid) == []


def test_a_missed_slot_is_caught_up_once(alice: Any, wf: str, db: Database) -> None:
    tid = due_task(alice, wf, "*/5 * * * *", utc(2026, 11, 27, 10, 0), db)
    tick(now=utc(2026, 11, 27, 10, 3))
    assert [(h["fire_key"], h["status"], h["source"]) for h in history(db, tid)] == [
        ("slot:2026-11-27T10:00:00Z", "fired", "catchup")
    ]
    assert run_count(db, tid) == 1


def test_a_late_delivery_of_a_caught_up_slot_runs_nothing(
    alice: Any, wf: str, db: Database
) -> None:
    tid = due_task(alice, wf, "*/5 * * * *", utc(2026, 11, 27, 10, 0), db)
    tick(now=utc(2026, 11, 27, 10, 3))
    late = fire(Delivery(tid, utc(2026, 11, 27, 10, 0)), now=utc(2026, 11, 27, 10, 4))
    assert late["status"] == "duplicate" and run_count(db, tid) == 1


def test_a_late_delivery_of_a_coalesced_slot_runs_nothing(
    alice: Any, wf: str, db: Database
) -> None:
    tid = due_task(alice, wf, "* * * * *", utc(2026, 11, 27, 10, 0), db)
    tick(now=utc(2026, 11, 27, 10, 4))  # grace 90 s: 10:00..10:02 coalesced into 10:02
    late = fire(Delivery(tid, utc(2026, 11, 27, 10, 1)), now=utc(2026, 11, 27, 10, 4, 10))
    assert late["status"] == "duplicate" and run_count(db, tid) == 1


def test_a_slot_cloud_scheduler_fired_is_never_caught_up(alice: Any, wf: str, db: Database) -> None:
    tid = due_task(alice, wf, "*/5 * * * *", utc(2026, 11, 27, 10, 0), db)
    fired = fire(Delivery(tid, utc(2026, 11, 27, 10, 0)), now=utc(2026, 11, 27, 10, 0, 2))
    assert fired["status"] == "fired"
    assert tick(now=utc(2026, 11, 27, 10, 3))["due"] == 0
    assert run_count(db, tid) == 1


def test_the_next_delivery_after_a_catch_up_fires_normally(
    alice: Any, wf: str, db: Database
) -> None:
    tid = due_task(alice, wf, "*/5 * * * *", utc(2026, 11, 27, 10, 0), db)
    tick(now=utc(2026, 11, 27, 10, 3))
    nxt = fire(Delivery(tid, utc(2026, 11, 27, 10, 5)), now=utc(2026, 11, 27, 10, 5, 1))
    assert nxt["status"] == "fired" and run_count(db, tid) == 2
