"""Reconcile: one paged listing of the jobs with our prefix, then exactly the writes
that make them match the table, and none when they already match."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared import bootstrap
from shared.cli import main
from shared.config import Settings
from shared.db import Database
from shared.scheduler.sync import reconcile
from tests.conftest import JWT_SECRET, test_settings
from tests.scheduler.conftest import PARENT, make_workflow, mirror_env, rows
from tests.support.fake_scheduler import FakeCloudScheduler


@pytest.fixture(scope="module")
def settings(db_url: str, fake_scheduler: FakeCloudScheduler) -> Settings:
    s = test_settings(db_url, **mirror_env(fake_scheduler.address))
    bootstrap.configure(s)
    return s


@pytest.fixture(scope="module")
def wf(settings: Settings) -> str:
    return make_workflow("alice")


@pytest.fixture
def task(alice: Any, wf: str, fake_scheduler: FakeCloudScheduler) -> str:
    """A task whose job exists and matches, with the fake's call log cleared."""
    res = alice.post(
        "/api/scheduler/tasks",
        json={"name": "t", "workflowId": wf, "cronExpression": "0 6 * * *", "timezone": "UTC"},
    )
    assert res.status_code == 201
    reconcile()
    fake_scheduler.calls.clear()
    return str(res.get_json()["task"]["id"])


def job(fake: FakeCloudScheduler, task_id: str) -> Any:
    return fake.jobs.get(f"{PARENT}/jobs/segp-task-{task_id}")


def writes(fake: FakeCloudScheduler) -> list[tuple[str, str]]:
    return [(c.method, c.name.rsplit("/", 1)[-1]) for c in fake.writes()]


def test_in_sync_makes_no_write_call_and_lists_once(
    task: str, fake_scheduler: FakeCloudScheduler
) -> None:
    report = reconcile()
    assert report.writes == 0 and fake_scheduler.writes() == []
    methods = {c.method for c in fake_scheduler.calls}
    assert methods == {"ListJobs"}  # pages of one listing, no per-job reads
    pages = len(fake_scheduler.calls)
    assert pages == -(-len(fake_scheduler.jobs) // fake_scheduler.page_size)


def test_a_missing_job_is_created(task: str, fake_scheduler: FakeCloudScheduler) -> None:
    del fake_scheduler.jobs[f"{PARENT}/jobs/segp-task-{task}"]
    report = reconcile()
    assert report.created == [f"segp-task-{task}"]
    assert writes(fake_scheduler) == [("CreateJob", f"segp-task-{task}")]
    assert job(fake_scheduler, task).schedule == "0 6 * * *"


def test_a_changed_schedule_is_updated_with_that_field_only(
    task: str, fake_scheduler: FakeCloudScheduler
) -> None:
    job(fake_scheduler, task).schedule = "0 7 * * *"
    reconcile()
    assert [(c.method, c.mask) for c in fake_scheduler.writes()] == [("UpdateJob", ("schedule",))]
    assert job(fake_scheduler, task).schedule == "0 6 * * *"


def test_a_changed_time_zone_is_updated(task: str, fake_scheduler: FakeCloudScheduler) -> None:
    job(fake_scheduler, task).time_zone = "America/New_York"
    reconcile()
    assert [(c.method, c.mask) for c in fake_scheduler.writes()] == [("UpdateJob", ("time_zone",))]
    assert job(fake_scheduler, task).time_zone == "UTC"


def test_a_paused_job_of_an_active_task_is_resumed(
    task: str, fake_scheduler: FakeCloudScheduler
) -> None:
    job(fake_scheduler, task).state = job(fake_scheduler, task).State.PAUSED
    report = reconcile()
    assert report.resumed == [f"segp-task-{task}"]
    assert job(fake_scheduler, task).state.name == "ENABLED"


def test_an_enabled_job_of_a_paused_task_is_paused(
    task: str, fake_scheduler: FakeCloudScheduler, db: Database
) -> None:
    with db.transaction() as tx:
        tx.execute("UPDATE scheduled_tasks SET is_active = false WHERE id = %s", (task,))
    report = reconcile()
    assert report.paused == [f"segp-task-{task}"]
    assert writes(fake_scheduler) == [("PauseJob", f"segp-task-{task}")]


def test_orphans_with_our_prefix_are_deleted_and_others_left_alone(
    task: str, fake_scheduler: FakeCloudScheduler
) -> None:
    template = job(fake_scheduler, task)
    orphan = f"segp-task-{uuid.uuid4()}"
    for job_id in (orphan, "segp-tick", "other-task-1"):
        copy = type(template)(template)
        copy.name = f"{PARENT}/jobs/{job_id}"
        fake_scheduler.jobs[copy.name] = copy
    report = reconcile()
    assert report.deleted == [orphan]
    assert writes(fake_scheduler) == [("DeleteJob", orphan)]
    assert f"{PARENT}/jobs/segp-tick" in fake_scheduler.jobs


def test_a_dry_run_reports_and_writes_nothing(
    task: str, fake_scheduler: FakeCloudScheduler
) -> None:
    job(fake_scheduler, task).schedule = "1 1 * * *"
    report = reconcile(dry_run=True)
    assert report.updated == [f"segp-task-{task}"] and report.dry_run
    assert fake_scheduler.writes() == []
    assert job(fake_scheduler, task).schedule == "1 1 * * *"


def test_reconcile_repairs_a_task_left_out_of_sync(
    task: str, fake_scheduler: FakeCloudScheduler, db: Database
) -> None:
    with db.transaction() as tx:
        tx.execute("UPDATE scheduled_tasks SET mirror_state = 'out_of_sync' WHERE id = %s", (task,))
    del fake_scheduler.jobs[f"{PARENT}/jobs/segp-task-{task}"]
    reconcile()
    assert rows(db, "SELECT mirror_state FROM scheduled_tasks WHERE id = %s", (task,)) == [
        {"mirror_state": "in_sync"}
    ]


def test_progress_is_reported_for_every_job(task: str) -> None:
    seen: list[tuple[int, int]] = []
    reconcile(progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1]


def test_schedule_fire_runs_a_reconcile(
    task: str, fire: Any, fake_scheduler: FakeCloudScheduler
) -> None:
    del fake_scheduler.jobs[f"{PARENT}/jobs/segp-task-{task}"]
    res = fire.post("/", json={"reconcile": True})
    assert res.status_code == 200
    assert res.get_json()["created"] == [f"segp-task-{task}"]
    assert job(fake_scheduler, task) is not None


def test_in_tick_mode_reconcile_removes_the_per_task_jobs(
    task: str, fake_scheduler: FakeCloudScheduler, settings: Settings
) -> None:
    bootstrap.configure(settings.model_copy(update={"scheduler_mode": "tick"}))
    try:
        reconcile()
    finally:
        bootstrap.configure(settings)
    assert not [n for n in fake_scheduler.jobs if "/jobs/segp-task-" in n]


def _env(monkeypatch: pytest.MonkeyPatch, db_url: str, extra: dict[str, Any]) -> None:
    for key, value in {"DATABASE_URL": db_url, "JWT_SECRET": JWT_SECRET, **extra}.items():
        monkeypatch.setenv(key, str(value))


def test_the_sync_command_dry_run_prints_what_it_would_do(
    task: str,
    fake_scheduler: FakeCloudScheduler,
    settings: Settings,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    del fake_scheduler.jobs[f"{PARENT}/jobs/segp-task-{task}"]
    _env(monkeypatch, db_url, mirror_env(fake_scheduler.address))
    try:
        code = main(["scheduler", "sync", "--dry-run"])
    finally:
        bootstrap.configure(settings)
    out = capsys.readouterr()
    assert code == 0 and "would make: 1 created, 0 updated" in out.out
    assert f"created: segp-task-{task}" in out.out and "]" in out.err  # the progress bar
    assert fake_scheduler.writes() == []


def test_the_sync_command_says_when_the_mirror_is_off(
    settings: Settings,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("SCHEDULER_PROJECT", raising=False)
    _env(monkeypatch, db_url, {})
    try:
        code = main(["scheduler", "sync"])
    finally:
        bootstrap.configure(settings)
    assert code == 2 and "mirror is off" in capsys.readouterr().err
