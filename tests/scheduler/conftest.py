"""Scheduler test support: a workflow to schedule, the schedule-fire function, a
Cloud Scheduler delivery as docs/contract/deliveries.md describes it, and the in-process fake
Cloud Scheduler with the settings that point the real client at it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from werkzeug.serving import make_server

from shared.config import Settings
from shared.db import Database
from shared.local.server import build_wsgi
from shared.scheduler.cron import rfc3339
from shared.workflows import store
from tests.conftest import function_client
from tests.support.fake_scheduler import FakeCloudScheduler

FIRE_URL = "https://fire.example.test/schedule-fire"
SERVICE_ACCOUNT = "scheduler@segp-test.iam.gserviceaccount.com"
PARENT = "projects/segp-test/locations/europe-west1"


def mirror_env(address: str) -> dict[str, Any]:
    return {
        "SCHEDULER_PROJECT": "segp-test",
        "SCHEDULER_LOCATION": "europe-west1",
        "SCHEDULE_FIRE_URL": FIRE_URL,
        "SCHEDULER_SERVICE_ACCOUNT": SERVICE_ACCOUNT,
        "SCHEDULER_EMULATOR_HOST": address,
        "SCHEDULER_API_TIMEOUT_SECONDS": 5,
    }


@pytest.fixture(scope="module")
def fake_scheduler() -> Iterator[FakeCloudScheduler]:
    fake = FakeCloudScheduler()
    fake.start()
    yield fake
    fake.stop()


def make_workflow(user: str, steps: list[dict[str, Any]] | None = None) -> str:
    return str(store.create(user, "scheduled work", None, steps or [], True)["id"])


@pytest.fixture(scope="module")
def fire(settings: Settings) -> Any:
    """The ``schedule-fire`` function, as Cloud Functions would load it."""
    return function_client("schedule_fire")


def deliver(
    client: Any,
    task_id: str,
    schedule_time: datetime | str | None,
    *,
    lowercase: bool = False,
    prefix: str = "segp",
) -> Any:
    """POST what Cloud Scheduler sends for one job run."""
    headers = {"X-CloudScheduler": "true", "X-CloudScheduler-JobName": f"{prefix}-task-{task_id}"}
    if schedule_time is not None:
        value = schedule_time if isinstance(schedule_time, str) else rfc3339(schedule_time)
        headers["X-CloudScheduler-ScheduleTime"] = value
    if lowercase:
        headers = {k.lower(): v for k, v in headers.items()}
    return client.post("/", json={"taskId": task_id}, headers=headers)


def count(db: Database, sql: str, params: tuple[Any, ...] = ()) -> int:
    with db.transaction() as tx:
        return int(tx.scalar(sql, params))


def rows(db: Database, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    with db.transaction() as tx:
        return tx.all(sql, params)


@pytest.fixture(scope="module")
def server_url(settings: Settings) -> Iterator[str]:
    """`segp serve`'s functions on a local port, for the local clock to post to."""
    server = make_server("127.0.0.1", 0, build_wsgi(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
