"""``GET /api/scheduler/<id>/upcoming`` (the cron in words and the next fire times, as
the fires will happen) and ``POST /api/scheduler/<id>/fire`` (a fire outside the
schedule, in the history as forced)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared import clock
from shared.db import Database
from tests.scheduler.conftest import count, make_workflow


@pytest.fixture(scope="module")
def wf(settings: Any) -> str:
    return make_workflow("alice")


def new_task(alice: Any, wf: str, cron: str, zone: str = "UTC") -> str:
    body = {"name": "t", "workflowId": wf, "cronExpression": cron, "timezone": zone}
    res = alice.post("/api/scheduler/tasks", json=body)
    assert res.status_code == 201, res.get_json()
    return str(res.get_json()["task"]["id"])


def test_upcoming_follows_the_zone_through_a_spring_forward_gap(
    alice: Any, wf: str, fixed_clock: clock.FixedClock
) -> None:
    # 14 March 2027: New York skips 02:00-03:00; the 02:30 slot fires at 03:00 EDT
    fixed_clock.set(datetime(2027, 3, 12, 12, 0, tzinfo=UTC))
    task = new_task(alice, wf, "30 2 * * *", "America/New_York")
    res = alice.get(f"/api/scheduler/{task}/upcoming?count=3")
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert body["nextFires"] == [
        "2027-03-13T07:30:00Z",
        "2027-03-14T07:00:00Z",
        "2027-03-15T06:30:00Z",
    ]
    assert body["isActive"] is True and body["timezone"] == "America/New_York"


def test_upcoming_says_the_cron_in_words_with_its_zone(alice: Any, wf: str) -> None:
    task = new_task(alice, wf, "0 9 * * 1", "America/New_York")
    body = alice.get(f"/api/scheduler/{task}/upcoming").get_json()
    assert body["description"] == "At 09:00, only on Monday, America/New_York"
    assert len(body["nextFires"]) == 5
    mondays = [datetime.fromisoformat(at).weekday() for at in body["nextFires"]]
    assert mondays == [0] * 5


def test_a_paused_task_lists_the_slots_it_fires_at_once_resumed(alice: Any, wf: str) -> None:
    task = new_task(alice, wf, "0 12 * * *")
    assert alice.post(f"/api/scheduler/{task}/pause").status_code == 200
    body = alice.get(f"/api/scheduler/{task}/upcoming?count=2").get_json()
    assert body["isActive"] is False and len(body["nextFires"]) == 2


@pytest.mark.parametrize("count_", ["0", "51", "many"])
def test_upcoming_refuses_a_count_out_of_range(alice: Any, wf: str, count_: str) -> None:
    task = new_task(alice, wf, "0 12 * * *")
    res = alice.get(f"/api/scheduler/{task}/upcoming?count={count_}")
    assert res.status_code in (400, 422) and "count" in res.get_json()["error"]


def test_another_users_task_is_not_found(alice: Any, bob: Any, wf: str, db: Database) -> None:
    task = new_task(alice, wf, "0 12 * * *")
    assert bob.get(f"/api/scheduler/{task}/upcoming").status_code == 404
    assert bob.post(f"/api/scheduler/{task}/fire").status_code == 404
    assert count(db, "SELECT count(*) FROM scheduled_task_runs WHERE task_id = %s", (task,)) == 0


def test_fire_now_runs_the_workflow_and_records_a_forced_fire(alice: Any, wf: str) -> None:
    task = new_task(alice, wf, "0 12 1 1 *")
    res = alice.post(f"/api/scheduler/{task}/fire")
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert body["success"] is True and body["fire"]["status"] == "fired"
    assert body["fire"]["runStatus"] == "succeeded"
    run = alice.get(f"/api/workflow/run/{body['fire']['workflowRunId']}").get_json()
    assert run["trigger_type"] == "scheduled" and run["trigger_data"]["source"] == "forced"
    (fire,) = alice.get(f"/api/scheduler/{task}/runs").get_json()
    assert (fire["status"], fire["source"]) == ("fired", "forced")
    assert fire["workflow_run_id"] == body["fire"]["workflowRunId"]


def test_each_fire_now_is_one_fire_of_its_own(alice: Any, wf: str) -> None:
    task = new_task(alice, wf, "0 12 1 1 *")
    first = alice.post(f"/api/scheduler/{task}/fire").get_json()["fire"]
    second = alice.post(f"/api/scheduler/{task}/fire").get_json()["fire"]
    assert first["workflowRunId"] != second["workflowRunId"]
    assert len(alice.get(f"/api/scheduler/{task}/runs").get_json()) == 2


def test_fire_now_of_a_paused_task_is_recorded_skipped_and_runs_nothing(
    alice: Any, wf: str
) -> None:
    task = new_task(alice, wf, "0 12 1 1 *")
    alice.post(f"/api/scheduler/{task}/pause")
    body = alice.post(f"/api/scheduler/{task}/fire").get_json()
    assert body["success"] is False and body["fire"]["status"] == "skipped"
    (fire,) = alice.get(f"/api/scheduler/{task}/runs").get_json()
    assert fire["status"] == "skipped" and fire["workflow_run_id"] is None
