"""schedule-fire receiving what Cloud Scheduler sends (docs/contract/deliveries.md): one run
per (task, slot) however often and however concurrently it is delivered."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared import bootstrap
from shared.clock import FixedClock
from shared.config import Settings
from shared.db import Database
from shared.scheduler.fire import Delivery, fire
from tests.conftest import test_settings
from tests.scheduler.conftest import count, deliver, make_workflow, rows
from tests.support.together import at_once

SLOT = "2026-11-27T09:00:00Z"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture(scope="module")
def wf(settings: Settings) -> str:
    return make_workflow("alice")


def new_task(alice: Any, wf: str, cron: str = "0 9 * * *", **extra: Any) -> str:
    body = {"name": "t", "workflowId": wf, "cronExpression": cron, **extra}
    res = alice.post("/api/scheduler/tasks", json=body)
    assert res.status_code == 201
    return str(res.get_json()["task"]["id"])


def task_row(db: Database, task_id: str) -> dict[str, Any]:
    (task,) = rows(
        db,
        "SELECT run_count, last_run_at, last_slot_at, next_run_at FROM scheduled_tasks "
        "WHERE id = %s",
        (task_id,),
    )
    return task


def runs_of(db: Database, task_id: str) -> list[dict[str, Any]]:
    return rows(
        db,
        "SELECT id, trigger_type, trigger_data, idempotency_key, status FROM workflow_runs "
        "WHERE trigger_data->>'taskId' = %s",
        (task_id,),
    )


def history(db: Database, task_id: str) -> list[dict[str, Any]]:
    return rows(
        db,
        "SELECT fire_key, slot_at, status, source, workflow_run_id, detail "
        "FROM scheduled_task_runs WHERE task_id = %s ORDER BY created_at, fire_key",
        (task_id,),
    )


def test_a_delivery_runs_the_workflow_with_the_schedule_as_trigger(
    alice: Any, wf: str, fire: Any, db: Database
) -> None:
    tid = new_task(alice, wf)
    res = deliver(fire, tid, SLOT)
    assert res.status_code == 200 and res.get_json()["status"] == "fired"
    (run,) = runs_of(db, tid)
    assert run["trigger_type"] == "scheduled"
    assert run["trigger_data"] == {"taskId": tid, "scheduleTime": SLOT, "source": "scheduler"}
    assert run["idempotency_key"] == f"schedule:{tid}:slot:{SLOT}"


def test_a_delivery_updates_the_task_and_its_history(
    alice: Any, wf: str, fire: Any, db: Database, fixed_clock: FixedClock
) -> None:
    fixed_clock.set(utc(2026, 11, 27, 8))
    tid = new_task(alice, wf)
    fixed_clock.set(utc(2026, 11, 27, 9, 0, 3))  # delivered on time
    deliver(fire, tid, SLOT)
    task = task_row(db, tid)
    assert task["run_count"] == 1 and task["last_run_at"] == utc(2026, 11, 27, 9, 0, 3)
    assert task["last_slot_at"] == utc(2026, 11, 27, 9)
    assert task["next_run_at"] == utc(2026, 11, 28, 9)
    (row,) = alice.get(f"/api/scheduler/{tid}/runs").get_json()
    assert row["status"] == "fired" and row["workflow_run_id"] == str(runs_of(db, tid)[0]["id"])
    assert row["fire_key"] == f"slot:{SLOT}" and row["source"] == "scheduler"


def test_after_a_late_delivery_the_next_run_is_the_next_slot_after_now(
    alice: Any, wf: str, fire: Any, db: Database, fixed_clock: FixedClock
) -> None:
    fixed_clock.set(utc(2026, 11, 27, 8))
    tid = new_task(alice, wf)
    fixed_clock.set(utc(2026, 11, 29, 12))  # the 27th's slot, retried two days later
    deliver(fire, tid, SLOT)
    task = task_row(db, tid)
    assert task["last_slot_at"] == utc(2026, 11, 27, 9)
    assert task["next_run_at"] == utc(2026, 11, 30, 9)


def test_a_delivery_ahead_of_its_slot_moves_the_next_run_past_that_slot(
    alice: Any, wf: str, fire: Any, db: Database, fixed_clock: FixedClock
) -> None:
    fixed_clock.set(utc(2026, 11, 27, 8))
    tid = new_task(alice, wf)
    fixed_clock.set(utc(2026, 11, 27, 8, 59, 58))  # Cloud Scheduler's clock runs ahead
    deliver(fire, tid, SLOT)
    assert task_row(db, tid)["next_run_at"] == utc(2026, 11, 28, 9)


def test_the_same_slot_delivered_twice_runs_once(
    alice: Any, wf: str, fire: Any, db: Database
) -> None:
    tid = new_task(alice, wf)
    deliver(fire, tid, SLOT)
    second = deliver(fire, tid, SLOT)
    assert second.status_code == 200 and second.get_json()["status"] == "duplicate"
    assert len(runs_of(db, tid)) == 1


def test_fifty_concurrent_deliveries_of_one_slot_are_acknowledged_and_run_once(
    alice: Any, wf: str, fire: Any, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    tid = new_task(alice, wf)

    def one() -> tuple[int, str]:
        res = deliver(fire.application.test_client(), tid, SLOT)
        return res.status_code, res.get_json()["status"]

    with caplog.at_level(logging.INFO):
        answers = at_once(50, one)
    assert len(answers) == 50 and all(200 <= code < 300 for code, _ in answers)
    assert sorted(status for _, status in answers).count("fired") == 1
    assert len(runs_of(db, tid)) == 1
    assert count(db, "SELECT run_count FROM scheduled_tasks WHERE id = %s", (tid,)) == 1
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert not any(r.exc_info for r in caplog.records)


def test_header_names_are_read_whatever_their_case(
    alice: Any, wf: str, fire: Any, db: Database
) -> None:
    tid = new_task(alice, wf)
    first = deliver(fire, tid, SLOT, lowercase=True)
    assert first.get_json()["fireKey"] == f"slot:{SLOT}"
    assert deliver(fire, tid, SLOT).get_json()["status"] == "duplicate"


def test_a_forced_run_without_a_schedule_time_gets_its_own_key(
    alice: Any, wf: str, fire: Any, db: Database
) -> None:
    tid = new_task(alice, wf)
    keys = {deliver(fire, tid, None).get_json()["fireKey"] for _ in range(2)}
    assert len(keys) == 2 and all(k.startswith("forced:") for k in keys)
    assert len(runs_of(db, tid)) == 2


def test_a_forced_run_at_a_moment_that_is_no_slot_counts_once_per_moment(
    alice: Any, wf: str, fire: Any, db: Database
) -> None:
    tid = new_task(alice, wf)
    first = deliver(fire, tid, "2026-11-27T06:41:17Z").get_json()
    assert first["status"] == "fired" and first["fireKey"] == "at:2026-11-27T06:41:17Z"
    assert deliver(fire, tid, "2026-11-27T06:41:17Z").get_json()["status"] == "duplicate"
    assert history(db, tid)[0]["source"] == "forced"


def test_an_unusable_schedule_time_is_a_forced_run(alice: Any, wf: str, fire: Any) -> None:
    tid = new_task(alice, wf)
    assert deliver(fire, tid, "yesterday").get_json()["fireKey"].startswith("forced:")


def test_a_paused_task_is_acknowledged_and_not_run(
    alice: Any, wf: str, fire: Any, db: Database
) -> None:
    tid = new_task(alice, wf)
    alice.post(f"/api/scheduler/{tid}/pause")
    res = deliver(fire, tid, SLOT)
    assert res.status_code == 200 and res.get_json()["status"] == "skipped"
    assert runs_of(db, tid) == []
    assert [(h["status"], h["detail"]) for h in history(db, tid)] == [("skipped", "task is paused")]


def test_a_deleted_task_is_acknowledged(fire: Any) -> None:
    res = deliver(fire, "9b2f4a1e-0000-4000-8000-000000000001", SLOT)
    assert res.status_code == 200 and res.get_json()["status"] == "ignored"


@pytest.mark.parametrize(
    "body",
    [{"taskId": 5}, {"taskId": "not-a-uuid"}, {"tick": "yes"}, {"other": 1}, [], {}],
)
def test_a_malformed_body_is_acknowledged_and_recorded_not_retried(
    fire: Any, db: Database, body: Any
) -> None:
    res = fire.post("/", json=body, headers={"X-CloudScheduler-JobName": "bad-job"})
    assert res.status_code == 200
    assert res.get_json()["status"] == "rejected" and res.get_json()["error"]
    with db.transaction() as tx:
        row = tx.one(
            "SELECT * FROM rejected_deliveries WHERE source = 'schedule-fire' "
            "ORDER BY created_at DESC LIMIT 1"
        )
    assert row is not None and row["delivery_id"] == "bad-job"
    assert row["reason"] == res.get_json()["error"]


def test_a_job_name_that_is_not_the_tasks_job_runs_nothing(
    alice: Any, wf: str, fire: Any, db: Database
) -> None:
    tid = new_task(alice, wf)
    res = fire.post(
        "/", json={"taskId": tid}, headers={"X-CloudScheduler-JobName": "segp-task-someone-else"}
    )
    assert res.status_code == 200 and res.get_json()["status"] == "rejected"
    assert history(db, tid) == []


def test_a_body_that_is_not_json_is_acknowledged_and_recorded(fire: Any, db: Database) -> None:
    res = fire.post("/", data="taskId=1", content_type="application/json")
    assert res.status_code == 200 and "JSON" in res.get_json()["error"]
    with db.transaction() as tx:
        assert tx.scalar("SELECT count(*) FROM rejected_deliveries WHERE body = 'taskId=1'") == 1


def test_a_permanent_failure_is_acknowledged_and_recorded(
    alice: Any, wf: str, fire: Any, db: Database
) -> None:
    tid = new_task(alice, wf)
    foreign = make_workflow("bob")
    with db.transaction() as tx:  # a row no API could produce: the workflow is not alice's
        tx.execute("UPDATE scheduled_tasks SET workflow_id = %s WHERE id = %s", (foreign, tid))
    res = deliver(fire, tid, SLOT)
    assert res.status_code == 200 and res.get_json()["status"] == "failed"
    (row,) = history(db, tid)
    assert row["status"] == "failed" and "not found" in row["detail"]
    assert count(db, "SELECT count(*) FROM workflow_runs WHERE workflow_id = %s", (foreign,)) == 0


def test_a_claim_left_running_by_a_failed_attempt_runs_on_the_retry(
    alice: Any, wf: str, fire: Any, db: Database
) -> None:
    tid = new_task(alice, wf)
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO scheduled_task_runs (task_id, user_id, fire_key, slot_at, status) "
            "VALUES (%s, 'alice', %s, %s, 'running')",
            (tid, f"slot:{SLOT}", utc(2026, 11, 27, 9)),
        )
    assert deliver(fire, tid, SLOT).get_json()["status"] == "fired"
    assert len(runs_of(db, tid)) == 1
    assert [h["status"] for h in history(db, tid)] == ["fired"]


def test_a_fire_while_the_previous_run_is_running_is_skipped(
    alice: Any, wf: str, fire: Any, db: Database
) -> None:
    tid = new_task(alice, wf)
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO scheduled_task_runs (task_id, user_id, fire_key, status) "
            "VALUES (%s, 'alice', 'slot:2026-11-26T09:00:00Z', 'running')",
            (tid,),
        )
    res = deliver(fire, tid, SLOT)
    assert res.get_json()["status"] == "skipped"
    assert runs_of(db, tid) == []
    skipped = [h for h in history(db, tid) if h["fire_key"] == f"slot:{SLOT}"]
    assert skipped[0]["status"] == "skipped" and "still running" in skipped[0]["detail"]


def test_overlap_policy_allow_runs_beside_a_running_one(
    alice: Any, wf: str, fire: Any, db: Database
) -> None:
    tid = new_task(alice, wf, overlapPolicy="allow")
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO scheduled_task_runs (task_id, user_id, fire_key, status) "
            "VALUES (%s, 'alice', 'slot:2026-11-26T09:00:00Z', 'running')",
            (tid,),
        )
    assert deliver(fire, tid, SLOT).get_json()["status"] == "fired"


def test_a_run_left_running_longer_than_the_stale_limit_does_not_block(
    alice: Any, wf: str, fire: Any, db: Database
) -> None:
    tid = new_task(alice, wf)
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO scheduled_task_runs (task_id, user_id, fire_key, status, created_at) "
            "VALUES (%s, 'alice', 'slot:2026-11-20T09:00:00Z', 'running', %s)",
            (tid, datetime.now(UTC) - timedelta(hours=2)),
        )
    assert deliver(fire, tid, SLOT).get_json()["status"] == "fired"


def test_fall_back_a_second_delivery_of_the_repeated_time_runs_nothing(
    alice: Any, wf: str, db: Database
) -> None:
    tid = new_task(alice, wf, cron="30 1 * * *", timezone="America/New_York")
    first = fire(Delivery(tid, utc(2026, 11, 1, 5, 30)), now=utc(2026, 11, 1, 5, 30, 2))
    again = fire(Delivery(tid, utc(2026, 11, 1, 6, 30)), now=utc(2026, 11, 1, 6, 30, 2))
    assert first["status"] == "fired" and again["status"] == "duplicate"
    assert len(runs_of(db, tid)) == 1
    (task,) = rows(db, "SELECT next_run_at FROM scheduled_tasks WHERE id = %s", (tid,))
    assert task["next_run_at"] == utc(2026, 11, 2, 6, 30)


def test_spring_forward_the_shifted_slot_runs_once(alice: Any, wf: str, db: Database) -> None:
    tid = new_task(alice, wf, cron="30 2 * * *", timezone="America/New_York")
    first = fire(Delivery(tid, utc(2026, 3, 8, 7, 0)), now=utc(2026, 3, 8, 7, 0, 1))
    late = fire(Delivery(tid, utc(2026, 3, 8, 7, 30)), now=utc(2026, 3, 8, 7, 30, 1))
    assert first["fireKey"] == "slot:2026-03-08T07:00:00Z" and late["status"] == "duplicate"
    assert len(runs_of(db, tid)) == 1


def test_a_database_outage_is_non_2xx_so_cloud_scheduler_retries(
    alice: Any, wf: str, fire: Any, settings: Settings
) -> None:
    tid = new_task(alice, wf)
    down = test_settings("postgresql://segp@127.0.0.1:9/nothing")
    bootstrap.configure(down)
    try:
        res = deliver(fire, tid, SLOT)
    finally:
        bootstrap.configure(settings)
    assert res.status_code == 503 and "error" in res.get_json()
    assert deliver(fire, tid, SLOT).get_json()["status"] == "fired"
