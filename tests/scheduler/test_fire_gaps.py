"""A slot whose delivery never arrived (its retries ran out while the database was
down) is never silently gone: the next delivered slot moves ``next_run_at`` past it, so
that delivery accounts for it, coalesced into its run inside the catch-up window,
recorded as missed outside it."""

from __future__ import annotations

from typing import Any

import pytest

from shared.clock import FixedClock
from shared.config import Settings
from shared.db import Database
from tests.scheduler.conftest import deliver, make_workflow
from tests.scheduler.test_fire import history, new_task, runs_of, utc


@pytest.fixture(scope="module")
def wf(settings: Settings) -> str:
    return make_workflow("alice")


def test_a_slot_older_than_the_catch_up_window_is_recorded_missed(
    alice: Any, wf: str, fire: Any, db: Database, fixed_clock: FixedClock
) -> None:
    fixed_clock.set(utc(2026, 11, 27, 8, 30))
    tid = new_task(alice, wf, cron="0 * * * *")  # hourly, catch-up window 600 s
    fixed_clock.set(utc(2026, 11, 27, 10, 0, 2))  # 09:00 never arrived
    assert deliver(fire, tid, "2026-11-27T10:00:00Z").get_json()["status"] == "fired"

    rows = {h["fire_key"]: h for h in history(db, tid)}
    assert set(rows) == {"missed:2026-11-27T09:00:00Z", "slot:2026-11-27T10:00:00Z"}
    missed = rows["missed:2026-11-27T09:00:00Z"]
    assert missed["status"] == "missed" and missed["slot_at"] == utc(2026, 11, 27, 9)
    assert "1 slot(s)" in missed["detail"]
    assert len(runs_of(db, tid)) == 1


def test_a_slot_inside_the_catch_up_window_is_coalesced_into_the_delivered_one(
    alice: Any, wf: str, fire: Any, db: Database, fixed_clock: FixedClock
) -> None:
    fixed_clock.set(utc(2026, 11, 27, 8, 59, 30))
    tid = new_task(alice, wf, cron="* * * * *", catchupWindowSeconds=600)
    fixed_clock.set(utc(2026, 11, 27, 9, 3, 1))  # 09:00..09:02 never arrived
    deliver(fire, tid, "2026-11-27T09:03:00Z")

    statuses = {h["fire_key"]: h["status"] for h in history(db, tid)}
    assert statuses == {
        "slot:2026-11-27T09:00:00Z": "skipped",
        "slot:2026-11-27T09:01:00Z": "skipped",
        "slot:2026-11-27T09:02:00Z": "skipped",
        "slot:2026-11-27T09:03:00Z": "fired",
    }
    assert len(runs_of(db, tid)) == 1
    # a late delivery of a coalesced slot runs nothing
    fixed_clock.set(utc(2026, 11, 27, 9, 3, 30))
    assert deliver(fire, tid, "2026-11-27T09:01:00Z").get_json()["status"] == "duplicate"
    assert len(runs_of(db, tid)) == 1


def test_consecutive_deliveries_leave_no_gap_rows(
    alice: Any, wf: str, fire: Any, db: Database, fixed_clock: FixedClock
) -> None:
    fixed_clock.set(utc(2026, 11, 27, 8, 59, 30))
    tid = new_task(alice, wf, cron="* * * * *")
    for minute in range(3):
        fixed_clock.set(utc(2026, 11, 27, 9, minute, 1))
        deliver(fire, tid, f"2026-11-27T09:0{minute}:00Z")
    assert [h["status"] for h in history(db, tid)] == ["fired"] * 3
