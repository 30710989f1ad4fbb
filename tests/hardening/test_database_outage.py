"""The database stops for twenty seconds, for real, and comes back; nothing accepted
is lost, and the system itself finishes what was in flight (the bus and the clock do
not deliver anything twice):

- an event accepted before the outage, whose delivery failed, is dispatched once by the
  per-minute job;
- a clock beat during the outage: every slot is fired, or recorded, afterwards;
- a run whose step was in flight resumes at that step and completes.

The suite's embedded PostgreSQL is shared by every module, so this module starts one
of its own, migrates it, and stops and starts it with the server's own ``pg_ctl``."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shared import bootstrap
from shared.clock import FixedClock
from shared.config import Settings
from shared.db import Database, database_for
from shared.db.migrate import migrate
from shared.local import postgres
from shared.local.clock import LocalClock
from tests.conftest import UserClient, function_client
from tests.events.conftest import bus_settings, deliver
from tests.events.helpers import event_row, make_trigger, make_workflow, runs_of
from tests.support.fake_pubsub import FakePubSub
from tests.workflows.conftest import Endpoint

OUTAGE_SECONDS = 20
SHORT = 5  # the leases and the redispatch grace: shorter than the outage


class Server:
    """A dedicated embedded PostgreSQL, stopped and started again on the same socket,
    so the settings' URL stays valid."""

    def __init__(self, home: Path) -> None:
        self.handle = postgres.start(home)
        info = self.handle.get_postmaster_info()
        self.pgdata, self.socket_dir = info.pgdata, info.socket_dir

    def _pg_ctl(self, *args: str) -> None:
        import pgserver

        pgserver.pg_ctl(list(args), pgdata=self.pgdata, user=self.handle.system_user)  # type: ignore[attr-defined]

    def stop(self) -> None:
        self._pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        log = str(self.pgdata / "log")
        self._pg_ctl("-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", log, "start")


class Outage:
    """The database stopped for ``OUTAGE_SECONDS`` from the start of the block."""

    def __init__(self, server: Server) -> None:
        self.server = server

    def __enter__(self) -> None:
        self.server.stop()
        self.stopped = time.monotonic()

    def __exit__(self, *exc: object) -> None:
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - self.stopped)))
        self.server.start()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    own = Server(tmp_path_factory.mktemp("outage-home"))
    yield own
    own.handle.cleanup()


@pytest.fixture(scope="module")
def settings(server: Server, fake_pubsub: FakePubSub) -> Settings:
    """This module's database is its own server's."""
    url = postgres.create_database(server.handle, "segp")
    fresh = database_for(Settings(DATABASE_URL=url, DB_POOL_SIZE=1))
    migrate(fresh)
    fresh.close()
    s = bus_settings(
        url,
        fake_pubsub,
        EVENT_REDISPATCH_GRACE_SECONDS=SHORT,
        WORKFLOW_RUN_LEASE_SECONDS=SHORT,
        HTTP_STEP_ALLOWLIST="127.0.0.1",
        HTTP_STEP_TIMEOUT_SECONDS=30,  # the held step answers, late but in time
    )
    bootstrap.configure(s)
    return s


@pytest.fixture(scope="module")
def fire(settings: Settings) -> Any:
    return function_client("schedule_fire")


@pytest.fixture
def quiet(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """An outage is expected: warnings at most, no error, no traceback."""
    with caplog.at_level(logging.INFO):
        yield caplog
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
    assert not any(r.exc_info for r in caplog.records)


def tick_until(fire: Any, done: Any, minutes: int = 8) -> Any:
    """The per-minute job, minute after minute (the first ones after the restart meet
    the pool's connections of before, which died with the server), until ``done``."""
    for _ in range(minutes):
        res = fire.post("/", json={"tick": True})
        if res.status_code == 200 and done(res.get_json()):
            return res.get_json()
    raise AssertionError("the per-minute job never finished the work")


def test_an_event_accepted_before_the_outage_is_dispatched_once_by_the_per_minute_job(
    server: Server,
    db: Database,
    alice: UserClient,
    dispatch_client: Any,
    fire: Any,
    published: FakePubSub,
    quiet: Any,
) -> None:
    workflow = make_workflow(alice)
    make_trigger(alice, "outage.waiting", workflow)
    res = alice.post("/api/events", json={"eventType": "outage.waiting"})
    assert res.status_code == 202
    event_id = res.get_json()["eventId"]
    [message] = published.publisher.take()  # on the bus, not yet delivered

    with Outage(server):
        assert deliver(dispatch_client, message).status_code >= 500  # and never again
        assert fire.post("/", json={"tick": True}).status_code >= 500

    tick_until(fire, lambda done: done["eventsRedispatched"] == 1)
    assert len(runs_of(db, workflow)) == 1
    assert event_row(db, event_id)["dispatch_status"] == "dispatched"
    assert fire.post("/", json={"tick": True}).get_json()["eventsRedispatched"] == 0
    assert deliver(dispatch_client, message).status_code == 200  # the bus, late: a duplicate
    assert len(runs_of(db, workflow)) == 1


def at(minute: int, second: int = 5) -> datetime:
    return datetime(2026, 11, 27, 10, minute, second, tzinfo=UTC)


def test_a_clock_beat_during_the_outage_loses_no_slot(
    server: Server,
    db: Database,
    alice: UserClient,
    server_url: str,
    fixed_clock: FixedClock,
    quiet: Any,
) -> None:
    fixed_clock.set(at(0, 30))
    res = alice.post(
        "/api/scheduler/tasks",
        json={  # overlap allowed: slots sent together after the outage each fire
            "name": "m",
            "workflowId": make_workflow(alice),
            "cronExpression": "* * * * *",
            "overlapPolicy": "allow",
        },
    )
    assert res.status_code == 201
    task_id = res.get_json()["task"]["id"]
    clock = LocalClock(f"{server_url}/schedule-fire", mode="mirror", job_prefix="segp")

    def beat(minute: int) -> list[dict[str, Any]]:
        fixed_clock.set(at(minute))
        return clock.beat(at(minute))

    assert {s.get("status") for s in beat(1)} == {200}
    with Outage(server):
        beat(2)
    last = 3
    while not (sent := beat(last)) or {s.get("status") for s in sent} != {200}:
        last += 1
        assert last < 12, "the clock never got through again"

    with db.transaction() as tx:
        history = tx.all(
            "SELECT slot_at, status, detail, workflow_run_id FROM scheduled_task_runs "
            "WHERE task_id = %s ORDER BY slot_at",
            (task_id,),
        )
        run_statuses = tx.all(
            "SELECT status FROM workflow_runs WHERE trigger_data->>'taskId' = %s", (task_id,)
        )
    slots = {row["slot_at"]: row for row in history}
    assert sorted(slots) == [at(m, 0) for m in range(1, last + 1)]  # every slot, once
    for row in history:
        assert row["status"] in ("fired", "missed") or "coalesced" in (row["detail"] or "")
    fired = [row for row in history if row["status"] == "fired"]
    assert len(run_statuses) == len(fired) >= 2
    assert {r["status"] for r in run_statuses} == {"succeeded"}


def test_a_run_whose_step_was_in_flight_resumes_at_that_step_and_completes(
    server: Server,
    db: Database,
    api: Any,
    alice: UserClient,
    endpoint: Endpoint,
    fire: Any,
    quiet: Any,
) -> None:
    steps = [
        {"id": "slow", "type": "http", "config": {"url": endpoint.url("/hold")}},
        {"id": "after", "type": "http", "config": {"url": endpoint.url("/after")}},
    ]
    res = alice.post("/api/workflow", json={"name": "survives", "steps": steps})
    assert res.status_code == 201
    workflow = res.get_json()["workflow"]["id"]
    endpoint.release.clear()  # /hold answers after 10 s, inside the outage
    answers: list[int] = []
    caller = UserClient(api.application.test_client(), "alice")
    runner = threading.Thread(
        target=lambda: answers.append(caller.post(f"/api/workflow/{workflow}/run").status_code)
    )
    runner.start()
    while not [r for r in endpoint.received if r["path"] == "/hold"]:
        time.sleep(0.05)

    with Outage(server):
        runner.join()  # the step ended, its checkpoint met the stopped database
        endpoint.release.set()
    assert answers[0] >= 500  # retry later: the run is not lost

    def finished(_: dict[str, Any]) -> bool:
        with db.transaction() as tx:
            return bool(
                tx.scalar(
                    "SELECT status <> 'running' FROM workflow_runs WHERE workflow_id = %s",
                    (workflow,),
                )
            )

    tick_until(fire, finished)
    [run] = alice.get(f"/api/workflow/{workflow}").get_json()["runs"]
    assert run["status"] == "succeeded", run
    assert [s["status"] for s in run["step_results"]] == ["succeeded", "succeeded"]
    held = [r for r in endpoint.received if r["path"] == "/hold"]
    assert [r["headers"]["idempotency-key"] for r in held] == [f"{run['id']}:slow"] * 2
    assert len([r for r in endpoint.received if r["path"] == "/after"]) == 1
