"""The per-minute tick in ``tick`` mode: every due task fires from the table, missed
slots are coalesced or recorded as missed, and concurrent ticks never double-fire."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from shared import bootstrap
from shared.config import Settings
from shared.db import Database
from shared.scheduler.tick import tick
from tests.conftest import test_settings
from tests.scheduler.conftest import make_workflow, rows
from tests.scheduler.ticks import due_task, history, pause_all, run_count, utc


@pytest.fixture(scope="module")
def settings(db_url: str) -> Settings:
    s = test_settings(db_url, SCHEDULER_MODE="tick")
    bootstrap.configure(s)
    return s


@pytest.fixture(scope="module")
def wf(settings: Settings) -> str:
    return make_workflow("alice")


@pytest.fixture(autouse=True)
def isolated(db: Database) -> Iterator[None]:
    yield
    pause_all(db)


def test_a_due_task_fires_once_and_moves_to_its_next_slot(
    alice: Any, wf: str, db: Database
) -> None:
    tid = due_task(alice, wf, "*/5 * * * *", utc(2026, 11, 27, 10, 0), db)
    result = tick(now=utc(2026, 11, 27, 10, 0, 30))
    assert result["mode"] == "tick" and result["tasks"][0]["status"] == "fired"
    assert [(h["fire_key"], h["status"], h["source"]) for h in history(db, tid)] == [
        ("slot:2026-11-27T10:00:00Z", "fired", "tick")
    ]
    (task,) = rows(db, "SELECT next_run_at, run_count FROM scheduled_tasks WHERE id = %s", (tid,))
    assert task == {"next_run_at": utc(2026, 11, 27, 10, 5), "run_count": 1}


def test_a_second_tick_in_the_same_minute_fires_nothing(alice: Any, wf: str, db: Database) -> None:
    tid = due_task(alice, wf, "*/5 * * * *", utc(2026, 11, 27, 10, 0), db)
    tick(now=utc(2026, 11, 27, 10, 0, 10))
    assert tick(now=utc(2026, 11, 27, 10, 0, 50))["due"] == 0
    assert run_count(db, tid) == 1


def test_a_task_not_yet_due_is_left_alone(alice: Any, wf: str, db: Database) -> None:
    tid = due_task(alice, wf, "*/5 * * * *", utc(2026, 11, 27, 10, 5), db)
    tick(now=utc(2026, 11, 27, 10, 4, 59))
    assert history(db, tid) == []


def test_concurrent_ticks_fire_a_slot_once(alice: Any, wf: str, db: Database) -> None:
    tids = [due_task(alice, wf, "* * * * *", utc(2026, 11, 27, 11, 0), db) for _ in range(3)]
    start = threading.Barrier(4)

    def one() -> None:
        start.wait()
        tick(now=utc(2026, 11, 27, 11, 0, 20))

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [run_count(db, tid) for tid in tids] == [1, 1, 1]


def test_missed_slots_inside_the_window_are_coalesced_into_one_run(
    alice: Any, wf: str, db: Database
) -> None:
    tid = due_task(alice, wf, "* * * * *", utc(2026, 11, 27, 12, 0), db)
    tick(now=utc(2026, 11, 27, 12, 5, 30))
    found = history(db, tid)
    assert run_count(db, tid) == 1
    fired = [h for h in found if h["status"] == "fired"]
    assert [h["fire_key"] for h in fired] == ["slot:2026-11-27T12:05:00Z"]
    coalesced = [h for h in found if h["status"] == "skipped"]
    assert len(coalesced) == 5 and all("coalesced" in h["detail"] for h in coalesced)


def test_slots_older_than_the_window_are_recorded_missed_in_one_row(
    alice: Any, wf: str, db: Database
) -> None:
    tid = due_task(alice, wf, "* * * * *", utc(2026, 11, 27, 8, 0), db)
    tick(now=utc(2026, 11, 27, 10, 5, 30))  # window 600 s: 09:55:30 onwards may run
    found = history(db, tid)
    missed = [h for h in found if h["status"] == "missed"]
    assert len(missed) == 1
    assert missed[0]["detail"].startswith(
        "116 slot(s) from 2026-11-27T08:00:00Z to 2026-11-27T09:55:00Z"
    )
    assert [h["fire_key"] for h in found if h["status"] == "fired"] == ["slot:2026-11-27T10:05:00Z"]
    assert run_count(db, tid) == 1


def test_a_long_outage_is_summarised_not_enumerated(alice: Any, wf: str, db: Database) -> None:
    tid = due_task(alice, wf, "* * * * *", utc(2026, 11, 20, 0, 0), db)
    tick(now=utc(2026, 11, 27, 0, 0, 30))
    missed = [h for h in history(db, tid) if h["status"] == "missed"]
    assert len(missed) == 1 and missed[0]["detail"].startswith("more than 1000 slot(s)")


def test_a_zero_window_runs_nothing_that_was_missed(alice: Any, wf: str, db: Database) -> None:
    tid = due_task(alice, wf, "*/10 * * * *", utc(2026, 11, 27, 13, 0), db, catchupWindowSeconds=0)
    tick(now=utc(2026, 11, 27, 13, 25))
    assert run_count(db, tid) == 0
    assert [h["status"] for h in history(db, tid)] == ["missed"]
    (task,) = rows(db, "SELECT next_run_at FROM scheduled_tasks WHERE id = %s", (tid,))
    assert task["next_run_at"] == utc(2026, 11, 27, 13, 30)


def test_a_slot_due_now_runs_even_with_a_zero_window(alice: Any, wf: str, db: Database) -> None:
    tid = due_task(alice, wf, "*/10 * * * *", utc(2026, 11, 27, 13, 0), db, catchupWindowSeconds=0)
    tick(now=utc(2026, 11, 27, 13, 0))
    assert run_count(db, tid) == 1


def test_overlap_skip_applies_to_ticks(alice: Any, wf: str, db: Database) -> None:
    tid = due_task(alice, wf, "*/5 * * * *", utc(2026, 11, 27, 14, 0), db)
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO scheduled_task_runs (task_id, user_id, fire_key, status, created_at) "
            "VALUES (%s, 'alice', 'slot:2026-11-27T13:55:00Z', 'running', %s)",
            (tid, utc(2026, 11, 27, 13, 55)),
        )
    tick(now=utc(2026, 11, 27, 14, 0, 5))
    assert run_count(db, tid) == 0
    slot = [h for h in history(db, tid) if h["fire_key"] == "slot:2026-11-27T14:00:00Z"]
    assert slot[0]["status"] == "skipped" and "still running" in slot[0]["detail"]


def test_the_tick_is_reachable_through_schedule_fire(alice: Any, wf: str, fire: Any) -> None:
    res = fire.post("/", json={"tick": True})
    assert res.status_code == 200 and res.get_json()["mode"] == "tick"
