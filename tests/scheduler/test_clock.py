"""The local clock sends what Cloud Scheduler would send, over HTTP, to the same
schedule-fire function the local server mounts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.db import Database
from shared.local.clock import LocalClock
from tests.scheduler.conftest import make_workflow
from tests.scheduler.ticks import history, pause_all, run_count, utc


@pytest.fixture(scope="module")
def wf(settings: Any) -> str:
    return make_workflow("alice")


@pytest.fixture(autouse=True)
def isolated(db: Database) -> None:
    pause_all(db)


def task(alice: Any, wf: str, cron: str = "*/5 * * * *") -> str:
    res = alice.post(
        "/api/scheduler/tasks", json={"name": "t", "workflowId": wf, "cronExpression": cron}
    )
    assert res.status_code == 201
    return str(res.get_json()["task"]["id"])


def clock(url: str, mode: str = "mirror") -> LocalClock:
    return LocalClock(f"{url}/schedule-fire", mode=mode, job_prefix="segp")


def test_a_beat_sends_cloud_schedulers_request_for_each_due_slot(
    alice: Any, wf: str, server_url: str
) -> None:
    tid = task(alice, wf)
    sent = clock(server_url).beat(utc(2026, 11, 27, 10, 5, 10))
    per_task = [s for s in sent if "taskId" in s["body"]]
    assert per_task == [
        {
            "body": {"taskId": tid},
            "headers": {
                "Content-Type": "application/json",
                "X-CloudScheduler": "true",
                "X-CloudScheduler-JobName": f"segp-task-{tid}",
                "X-CloudScheduler-ScheduleTime": "2026-11-27T10:05:00Z",
            },
            "status": 200,
        }
    ]
    assert sent[-1]["body"] == {"tick": True} and sent[-1]["status"] == 200


def test_the_clock_runs_a_task_once_per_slot(
    alice: Any, wf: str, server_url: str, db: Database
) -> None:
    tid = task(alice, wf)
    local = clock(server_url)
    for minute in (5, 6, 7, 8, 9, 10):
        local.beat(utc(2026, 11, 27, 11, minute, 3))
    assert run_count(db, tid) == 2  # 11:05 and 11:10
    assert [h["status"] for h in history(db, tid)] == ["fired", "fired"]


def test_in_tick_mode_the_clock_sends_only_the_tick(alice: Any, wf: str, server_url: str) -> None:
    task(alice, wf)
    sent = clock(server_url, mode="tick").beat(utc(2026, 11, 27, 12, 0, 5))
    assert [s["body"] for s in sent] == [{"tick": True}]


def test_the_clock_stops_cleanly(server_url: str) -> None:
    local = LocalClock(
        f"{server_url}/schedule-fire",
        mode="tick",
        job_prefix="segp",
        now=lambda: datetime.now(UTC),
        start_delay=0,
    )
    local.start()
    assert local.running
    local.stop()
    assert not local.running
