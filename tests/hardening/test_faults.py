"""Faults: duplicated and concurrent deliveries, the database connection dropped in the
middle of a dispatch, and a Pub/Sub publish that fails. Each is made to happen for
real (threads, ``pg_terminate_backend``, the gRPC fake refusing publishes), never by
patching the code under test."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
import pytest

from shared import bootstrap
from shared.config import Settings
from shared.db import Database, database_for
from shared.errors import Retryable
from shared.events.publish import relay_pending
from tests.conftest import UserClient, function_client, test_settings
from tests.hardening.deliveries import deliver_event, fire_task
from tests.support.fake_pubsub import FakePubSub

NOOP = [{"id": "gate", "type": "condition", "config": {"subject": {}, "conditions": {}}}]
BURST = 200


class BackendKiller:
    """A local HTTP endpoint that, when a workflow's http step calls it, terminates every
    other connection to the database: the dispatch's pooled connections die mid-run."""

    def __init__(self, url: str) -> None:
        self.hits = 0
        killer = self
        admin = database_for(Settings(DATABASE_URL=url, DB_POOL_SIZE=1))

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                killer.hits += 1
                with admin.transaction() as tx:
                    tx.all(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                body = b'{"ok": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.admin = admin
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.admin.close()


@pytest.fixture(scope="module")
def fake_pubsub() -> Iterator[FakePubSub]:
    fake = FakePubSub()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def settings(db_url: str, fake_pubsub: FakePubSub) -> Settings:
    """Events go to the fake Pub/Sub; the http step may call this machine."""
    s = test_settings(
        db_url,
        PUBSUB_EMULATOR_HOST=fake_pubsub.host,
        EVENTS_PROJECT="segp-test",
        EVENT_PUBLISH_TIMEOUT_SECONDS=1,
        HTTP_STEP_ALLOWLIST="127.0.0.1",
        DB_POOL_SIZE=6,
    )
    bootstrap.configure(s)
    return s


@pytest.fixture
def killer(db_url: str) -> Iterator[BackendKiller]:
    k = BackendKiller(db_url)
    yield k
    k.close()


def _workflow(user: UserClient, steps: list[dict[str, Any]] | None = None) -> str:
    res = user.post("/api/workflow", json={"name": "under fault", "steps": steps or NOOP})
    assert res.status_code == 201, res.get_json()
    return str(res.get_json()["workflow"]["id"])


def _trigger(user: UserClient, event_type: str, workflow: str) -> str:
    res = user.post("/api/events/triggers", json={"eventType": event_type, "workflowId": workflow})
    assert res.status_code == 201, res.get_json()
    return str(res.get_json()["trigger"]["id"])


def _until_acknowledged(send: Any, attempts: int = 200) -> list[int]:
    """Redeliver as Pub/Sub and Cloud Scheduler do: again after every non-2xx."""
    statuses = []
    for _ in range(attempts):
        status = int(send().status_code)
        statuses.append(status)
        if status < 300:
            return statuses
        time.sleep(0.005)
    return statuses


def _scalar(db: Database, sql: str, params: tuple[Any, ...] = ()) -> Any:
    for _ in range(10):  # connections a fault terminated are discarded one by one
        try:
            with db.transaction() as tx:
                return tx.scalar(sql, params)
        except Retryable:
            continue
    raise AssertionError("the database did not come back")


def test_each_event_delivered_twice_at_once_runs_each_trigger_once(
    alice: UserClient, db: Database
) -> None:
    workflows = [_workflow(alice) for _ in range(2)]
    triggers = [_trigger(alice, "load.burst", w) for w in workflows]
    event_ids = []
    for i in range(BURST):
        res = alice.post("/api/events", json={"eventType": "load.burst", "payload": {"i": i}})
        assert res.status_code == 202
        event_ids.append(res.get_json()["eventId"])
    app = function_client("event_dispatch").application
    local = threading.local()

    def deliver(job: tuple[str, int]) -> list[int]:
        if not hasattr(local, "client"):
            local.client = app.test_client()
        event_id, copy = job
        return _until_acknowledged(lambda: deliver_event(local.client, db, event_id, f"m{copy}"))

    jobs = [(e, copy) for e in event_ids for copy in (1, 2)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(deliver, jobs))

    assert all(statuses[-1] == 200 for statuses in outcomes)
    for workflow in workflows:
        runs = _scalar(db, "SELECT count(*) FROM workflow_runs WHERE workflow_id = %s", (workflow,))
        assert runs == BURST
    for trigger in triggers:
        count = _scalar(db, "SELECT triggered_count FROM event_triggers WHERE id = %s", (trigger,))
        assert count == BURST
    dispatched = _scalar(
        db,
        "SELECT count(*) FROM usage_events WHERE id = ANY(%s::uuid[]) "
        "AND dispatch_status = 'dispatched'",
        (event_ids,),
    )
    assert dispatched == BURST


def test_each_schedule_slot_delivered_twice_at_once_runs_once(
    alice: UserClient, db: Database
) -> None:
    workflow = _workflow(alice)
    task = alice.post(
        "/api/scheduler/tasks",
        json={
            "name": "every minute",
            "workflowId": workflow,
            "cronExpression": "* * * * *",
            "overlapPolicy": "allow",
        },
    ).get_json()["task"]["id"]
    slots = [f"2026-11-02T09:{m:02d}:00Z" for m in range(30)]
    app = function_client("schedule_fire").application
    local = threading.local()

    def deliver(slot: str) -> list[int]:
        if not hasattr(local, "client"):
            local.client = app.test_client()
        return _until_acknowledged(lambda: fire_task(local.client, task, slot))

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(deliver, [s for s in slots for _ in (1, 2)]))

    assert all(statuses[-1] == 200 for statuses in outcomes)
    assert (
        _scalar(db, "SELECT count(*) FROM workflow_runs WHERE workflow_id = %s", (workflow,)) == 30
    )
    fired = _scalar(
        db,
        "SELECT count(DISTINCT fire_key) FROM scheduled_task_runs WHERE task_id = %s "
        "AND status = 'fired'",
        (task,),
    )
    assert fired == 30


def test_a_dispatch_whose_connection_drops_is_non_2xx_and_a_redelivery_completes_once(
    alice: UserClient, db: Database, killer: BackendKiller
) -> None:
    workflow = _workflow(
        alice, [{"id": "call", "type": "http", "config": {"method": "POST", "url": killer.url}}]
    )
    trigger = _trigger(alice, "fault.dropped", workflow)
    event_id = alice.post("/api/events", json={"eventType": "fault.dropped"}).get_json()["eventId"]
    client = function_client("event_dispatch")

    first = deliver_event(client, db, event_id)

    assert first.status_code >= 500
    assert killer.hits == 1
    # the delivery that died holds the event until its lease runs out; let it run out
    _scalar(
        db,
        "UPDATE usage_events SET dispatch_lease_until = now() - interval '1 second' "
        "WHERE id = %s RETURNING id",
        (event_id,),
    )
    statuses = _until_acknowledged(lambda: deliver_event(client, db, event_id), attempts=20)
    assert statuses[-1] == 200
    assert deliver_event(client, db, event_id).status_code == 200  # and once more: a duplicate
    assert killer.hits == 1
    assert (
        _scalar(db, "SELECT count(*) FROM workflow_runs WHERE workflow_id = %s", (workflow,)) == 1
    )
    assert _scalar(db, "SELECT triggered_count FROM event_triggers WHERE id = %s", (trigger,)) == 1
    status = _scalar(db, "SELECT dispatch_status FROM usage_events WHERE id = %s", (event_id,))
    assert status == "dispatched"


def test_an_event_whose_publish_failed_is_relayed_later_and_runs_once(
    alice: UserClient, db: Database, fake_pubsub: FakePubSub
) -> None:
    workflow = _workflow(alice)
    _trigger(alice, "fault.unpublished", workflow)
    fake_pubsub.publisher.take()
    fake_pubsub.publisher.fail_code = grpc.StatusCode.PERMISSION_DENIED
    try:
        res = alice.post("/api/events", json={"eventType": "fault.unpublished"})
    finally:
        fake_pubsub.publisher.fail_code = None
    assert res.status_code == 202
    event_id = res.get_json()["eventId"]
    assert _scalar(db, "SELECT published_at FROM usage_events WHERE id = %s", (event_id,)) is None
    assert fake_pubsub.publisher.take() == []

    tick = function_client("schedule_fire").post("/", json={"tick": True})

    assert tick.status_code == 200, tick.get_json()
    assert tick.get_json()["relayed"] >= 1
    published = [m for m in fake_pubsub.publisher.take() if event_id.encode() in m.data]
    assert len(published) == 1
    client = function_client("event_dispatch")
    assert deliver_event(client, db, event_id).status_code == 200
    assert deliver_event(client, db, event_id).status_code == 200
    assert (
        _scalar(db, "SELECT count(*) FROM workflow_runs WHERE workflow_id = %s", (workflow,)) == 1
    )
    assert relay_pending() == 0
