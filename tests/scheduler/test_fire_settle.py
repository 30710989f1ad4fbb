"""A fire's history row ends with its run, whatever ends the run; a fire claimed by a
process that died before starting its run is run by the per-minute job; a delivery of
a slot whose run already finished is a duplicate."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shared import clock
from shared.config import Settings
from shared.db import Database
from shared.scheduler.fire import run_key
from tests.scheduler.conftest import deliver, make_workflow
from tests.scheduler.test_fire import SLOT, history, new_task, runs_of, utc

EMIT = {"id": "e", "type": "emit", "config": {"eventType": "test.fired", "payload": {}}}


@pytest.fixture(scope="module")
def wf(settings: Settings) -> str:
    return make_workflow("alice", [EMIT])


def claim_left_running(db: Database, tid: str, minutes_ago: int = 0) -> None:
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO scheduled_task_runs (task_id, user_id, fire_key, slot_at, status, "
            "created_at) VALUES (%s, 'alice', %s, %s, 'running', "
            "now() - make_interval(mins => %s))",
            (tid, f"slot:{SLOT}", utc(2026, 11, 27, 9), minutes_ago),
        )


def tick(fire: Any) -> dict[str, Any]:
    res = fire.post("/", json={"tick": True})
    assert res.status_code == 200
    body: dict[str, Any] = res.get_json()
    return body


def test_a_fire_whose_run_ended_elsewhere_is_closed_by_the_minute_job(
    alice: Any, wf: str, fire: Any, db: Database
) -> None:
    tid = new_task(alice, wf)
    claim_left_running(db, tid)
    task = {"id": tid}
    with db.transaction() as tx:  # the run, resumed and finished by another executor
        run_id = tx.scalar(
            "INSERT INTO workflow_runs (workflow_id, user_id, trigger_type, status, "
            "idempotency_key, finished_at) VALUES (%s, 'alice', 'scheduled', 'succeeded', %s, "
            "now()) RETURNING id",
            (wf, run_key(task, f"slot:{SLOT}")),
        )

    assert tick(fire)["firesSettled"] >= 1

    (row,) = history(db, tid)
    assert row["status"] == "fired" and str(row["workflow_run_id"]) == str(run_id)
    assert row["detail"] == "workflow run succeeded"


def test_a_fire_claimed_by_a_process_that_died_before_its_run_is_run_once(
    alice: Any, wf: str, fire: Any, db: Database, settings: Settings
) -> None:
    tid = new_task(alice, wf)
    claim_left_running(db, tid, minutes_ago=settings.workflow_run_lease_seconds // 60 + 1)

    tick(fire)
    tick(fire)

    (run,) = runs_of(db, tid)
    assert run["status"] == "succeeded"
    assert run["trigger_data"] == {"taskId": tid, "scheduleTime": SLOT, "source": "scheduler"}
    (row,) = history(db, tid)
    assert row["status"] == "fired" and row["workflow_run_id"] == run["id"]


def test_a_fresh_claim_is_left_to_the_delivery_that_made_it(
    alice: Any, wf: str, fire: Any, db: Database
) -> None:
    tid = new_task(alice, wf)
    claim_left_running(db, tid)
    tick(fire)
    assert runs_of(db, tid) == []
    assert [h["status"] for h in history(db, tid)] == ["running"]


def test_a_slot_delivered_again_after_its_run_finished_is_a_duplicate(
    alice: Any, wf: str, fire: Any, db: Database
) -> None:
    """The first delivery's process died after the run finished, before the history row
    was closed: the retry finds the finished run and runs nothing."""
    tid = new_task(alice, wf)
    first = deliver(fire, tid, SLOT).get_json()
    with db.transaction() as tx:
        tx.execute(
            "UPDATE scheduled_task_runs SET status = 'running', finished_at = NULL "
            "WHERE task_id = %s",
            (tid,),
        )

    again = deliver(fire, tid, SLOT)

    assert again.status_code == 200
    body = again.get_json()
    assert body["status"] == "duplicate" and body["workflowRunId"] == first["workflowRunId"]
    assert len(runs_of(db, tid)) == 1
    assert [h["status"] for h in history(db, tid)] == ["fired"]


def test_a_fire_whose_run_sleeps_stays_open_until_the_run_ends(
    alice: Any, fire: Any, db: Database, fixed_clock: clock.FixedClock
) -> None:
    """A sleeping run has not ended: its fire is neither closed by the minute job nor
    answered as finished, and closes when the woken run succeeds."""
    nap = {"id": "nap", "type": "sleep", "config": {"seconds": 600}}
    tid = new_task(alice, make_workflow("alice", [nap, EMIT]), cron="0 9 1 1 *")

    first = deliver(fire, tid, SLOT).get_json()
    assert first["runStatus"] == "sleeping"
    tick(fire)
    assert [h["status"] for h in history(db, tid)] == ["running"]
    assert deliver(fire, tid, SLOT).get_json()["previous"] == "running"

    fixed_clock.advance(timedelta(minutes=11))
    tick(fire)  # wakes the run, which finishes
    tick(fire)  # closes the fire

    (run,) = runs_of(db, tid)
    assert run["status"] == "succeeded"
    (row,) = history(db, tid)
    assert row["status"] == "fired" and row["detail"] == "workflow run succeeded"
