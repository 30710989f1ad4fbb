"""The Cloud Scheduler mirror after each API action, through the real
google-cloud-scheduler client against the in-process fake."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from shared import bootstrap
from shared.config import Settings
from shared.db import Database
from tests.conftest import test_settings
from tests.scheduler.conftest import (
    FIRE_URL,
    PARENT,
    SERVICE_ACCOUNT,
    make_workflow,
    mirror_env,
    rows,
)
from tests.support.fake_scheduler import FakeCloudScheduler


@pytest.fixture(scope="module")
def settings(db_url: str, fake_scheduler: FakeCloudScheduler) -> Settings:
    s = test_settings(db_url, **mirror_env(fake_scheduler.address))
    bootstrap.configure(s)
    return s


@pytest.fixture(autouse=True)
def clean(fake_scheduler: FakeCloudScheduler) -> Iterator[None]:
    fake_scheduler.reset()
    yield
    fake_scheduler.failures.clear()


@pytest.fixture(scope="module")
def wf(settings: Settings) -> str:
    return make_workflow("alice")


def create(alice: Any, wf: str, **extra: Any) -> dict[str, Any]:
    body = {"name": "t", "workflowId": wf, "cronExpression": "0 9 * * 1-5", **extra}
    res = alice.post("/api/scheduler/tasks", json=body)
    assert res.status_code == 201, res.get_json()
    return dict(res.get_json())


def test_create_makes_one_job_with_the_exact_request(
    alice: Any, wf: str, fake_scheduler: FakeCloudScheduler
) -> None:
    body = create(alice, wf, timezone="Europe/Berlin")
    tid = body["task"]["id"]
    job = fake_scheduler.jobs[f"{PARENT}/jobs/segp-task-{tid}"]
    assert job.schedule == "0 9 * * 1-5" and job.time_zone == "Europe/Berlin"
    target = job.http_target
    assert target.uri == FIRE_URL and target.http_method.name == "POST"
    assert json.loads(target.body) == {"taskId": tid}
    assert target.headers["Content-Type"] == "application/json"
    assert target.oidc_token.service_account_email == SERVICE_ACCOUNT
    assert target.oidc_token.audience == FIRE_URL
    assert job.retry_config.retry_count == 3
    assert job.attempt_deadline.total_seconds() == 300
    assert job.state.name == "ENABLED"
    assert body["mirror"] == "in_sync" and body["task"]["mirror_state"] == "in_sync"


def test_update_changes_only_the_schedule_fields(
    alice: Any, wf: str, fake_scheduler: FakeCloudScheduler
) -> None:
    tid = create(alice, wf)["task"]["id"]
    fake_scheduler.calls.clear()
    alice.put(
        f"/api/scheduler/{tid}", json={"cronExpression": "15 7 * * *", "timezone": "Asia/Tokyo"}
    )
    job = fake_scheduler.job(f"segp-task-{tid}")
    assert job is not None and (job.schedule, job.time_zone) == ("15 7 * * *", "Asia/Tokyo")
    assert [(c.method, c.mask) for c in fake_scheduler.writes()] == [
        ("UpdateJob", ("schedule", "time_zone"))
    ]


def test_a_rename_makes_no_write_call(
    alice: Any, wf: str, fake_scheduler: FakeCloudScheduler
) -> None:
    tid = create(alice, wf)["task"]["id"]
    fake_scheduler.calls.clear()
    alice.put(f"/api/scheduler/{tid}", json={"name": "renamed"})
    assert fake_scheduler.writes() == []


def test_pause_and_resume_pause_and_resume_the_job(
    alice: Any, wf: str, fake_scheduler: FakeCloudScheduler
) -> None:
    tid = create(alice, wf)["task"]["id"]
    alice.post(f"/api/scheduler/{tid}/pause")
    job = fake_scheduler.job(f"segp-task-{tid}")
    assert job is not None and job.state.name == "PAUSED"
    alice.post(f"/api/scheduler/{tid}/resume")
    job = fake_scheduler.job(f"segp-task-{tid}")
    assert job is not None and job.state.name == "ENABLED"


def test_delete_deletes_the_job(alice: Any, wf: str, fake_scheduler: FakeCloudScheduler) -> None:
    tid = create(alice, wf)["task"]["id"]
    res = alice.delete(f"/api/scheduler/{tid}")
    assert res.get_json() == {"success": True, "mirror": "in_sync"}
    assert fake_scheduler.job(f"segp-task-{tid}") is None


def test_a_mirror_failure_keeps_the_change_and_marks_the_task_out_of_sync(
    alice: Any, wf: str, fake_scheduler: FakeCloudScheduler, db: Database
) -> None:
    fake_scheduler.failures["CreateJob"] = grpc.StatusCode.INTERNAL
    res = alice.post(
        "/api/scheduler/tasks", json={"name": "t", "workflowId": wf, "cronExpression": "0 9 * * *"}
    )
    body = res.get_json()
    assert res.status_code == 201 and body["success"] is True
    assert body["mirror"] == "out_of_sync" and body["task"]["mirror_state"] == "out_of_sync"
    stored = rows(
        db, "SELECT mirror_state FROM scheduled_tasks WHERE id = %s", (body["task"]["id"],)
    )
    assert stored == [{"mirror_state": "out_of_sync"}]


def test_a_failed_pause_still_pauses_the_task(
    alice: Any, wf: str, fake_scheduler: FakeCloudScheduler
) -> None:
    tid = create(alice, wf)["task"]["id"]
    fake_scheduler.failures["PauseJob"] = grpc.StatusCode.UNAUTHENTICATED
    body = alice.post(f"/api/scheduler/{tid}/pause").get_json()
    assert body["success"] is True and body["task"]["is_active"] is False
    assert body["mirror"] == "out_of_sync"
    job = fake_scheduler.job(f"segp-task-{tid}")
    assert job is not None and job.state.name == "ENABLED"  # repaired by the next reconcile


def test_the_mirror_tenancy_holds(
    alice: Any, bob: Any, wf: str, fake_scheduler: FakeCloudScheduler
) -> None:
    tid = create(alice, wf)["task"]["id"]
    fake_scheduler.calls.clear()
    assert bob.post(f"/api/scheduler/{tid}/pause").status_code == 404
    assert bob.delete(f"/api/scheduler/{tid}").status_code == 404
    assert fake_scheduler.calls == []
    job = fake_scheduler.job(f"segp-task-{tid}")
    assert job is not None and job.state.name == "ENABLED"
