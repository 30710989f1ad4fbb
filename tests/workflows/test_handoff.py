"""Runs handed to their own execution: started through the API, an event or the tick,
a run is claimed ``queued`` and published on the runs topic (the real Pub/Sub client
against the in-process fake); a ``workflow-run`` delivery of that message executes it,
once, however often and however concurrently it arrives. A hand-off that is lost
leaves the run queued until the per-minute job starts it."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared import bootstrap, clock
from shared.config import Settings
from shared.db import Database
from tests.conftest import UserClient, function_client
from tests.events.conftest import PROJECT, bus_settings, deliver, message_for
from tests.events.helpers import make_trigger, make_workflow
from tests.support.fake_pubsub import FakePubSub, Published
from tests.workflows.conftest import Endpoint

RUNS = f"projects/{PROJECT}/topics/segp-runs"
GRACE = 120


@pytest.fixture(scope="module")
def settings(db_url: str, fake_pubsub: FakePubSub) -> Settings:
    """Events and run hand-offs go to the fake Pub/Sub; the http step may call here."""
    s = bus_settings(
        db_url,
        fake_pubsub,
        RUNS_TOPIC="segp-runs",
        WORKFLOW_RUN_START_GRACE_SECONDS=GRACE,
        HTTP_STEP_ALLOWLIST="127.0.0.1",
        DB_POOL_SIZE=12,  # the concurrent deliveries below share this process's pool
    )
    bootstrap.configure(s)
    return s


@pytest.fixture(scope="module")
def runner(settings: Settings) -> Any:
    """The ``workflow_run`` function, as Cloud Functions would load it."""
    return function_client("workflow_run")


class Ticking:
    """A clock that moves a second each time it is read, so a wait ends without the
    test sleeping through it."""

    def __init__(self) -> None:
        self.at = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at


def run_messages(fake: FakePubSub) -> list[Published]:
    return [m for m in fake.publisher.take() if m.topic == RUNS]


def hand_over(runner: Any, message: Published) -> Any:
    res = deliver(runner, message)
    assert 200 <= res.status_code < 300, res.data
    return res


@contextmanager
def workflow_run_instance(runner: Any, published: FakePubSub) -> Iterator[None]:
    """A ``workflow-run`` instance delivering each hand-off while the block runs (a
    request waiting for its run, say)."""
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            for message in run_messages(published):
                hand_over(runner, message)
            stop.wait(0.05)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    try:
        yield
    finally:
        stop.set()
        worker.join(10)


def once(endpoint: Endpoint, key: str) -> list[dict[str, Any]]:
    """One http step: the endpoint counts how often the run executed it."""
    return [{"id": "call", "type": "http", "config": {"url": endpoint.url(f"/{key}")}}]


def calls(endpoint: Endpoint, key: str) -> int:
    return len([r for r in endpoint.received if r["path"] == f"/{key}"])


def run_row(db: Database, run_id: str) -> dict[str, Any]:
    with db.transaction() as tx:
        row = tx.one("SELECT * FROM workflow_runs WHERE id = %s", (run_id,))
    assert row is not None
    return row


def start_run(user: UserClient, wid: str, query: str = "", **kw: Any) -> Any:
    return user.post(f"/api/workflow/{wid}/run{query}", json={}, **kw)


def test_a_run_started_through_the_api_is_queued_answered_202_and_published(
    alice: UserClient, published: FakePubSub, endpoint: Endpoint
) -> None:
    wid = make_workflow(alice, once(endpoint, "api-queued"))

    res = start_run(alice, wid)

    assert res.status_code == 202
    body = res.get_json()
    assert body["success"] is True and body["run"]["status"] == "queued"
    [message] = run_messages(published)
    assert json.loads(message.data) == {"runId": body["run"]["id"], "userId": "alice"}
    assert message.attributes == {"runId": body["run"]["id"], "userId": "alice"}
    assert calls(endpoint, "api-queued") == 0  # nothing ran in the request


def test_the_workflow_run_delivery_executes_the_queued_run(
    alice: UserClient, published: FakePubSub, runner: Any, endpoint: Endpoint
) -> None:
    wid = make_workflow(alice, once(endpoint, "delivered"))
    run_id = start_run(alice, wid).get_json()["run"]["id"]
    [message] = run_messages(published)

    hand_over(runner, message)

    run = alice.get(f"/api/workflow/run/{run_id}").get_json()
    assert run["status"] == "succeeded"
    assert calls(endpoint, "delivered") == 1


def test_a_redelivery_of_a_finished_run_runs_nothing_and_logs_one_info_line(
    alice: UserClient, published: FakePubSub, runner: Any, endpoint: Endpoint, caplog: Any
) -> None:
    wid = make_workflow(alice, once(endpoint, "redelivered"))
    run_id = start_run(alice, wid).get_json()["run"]["id"]
    [message] = run_messages(published)
    hand_over(runner, message)
    caplog.clear()

    hand_over(runner, message)

    assert calls(endpoint, "redelivered") == 1
    engine_lines = [r for r in caplog.records if r.name == "shared.workflows.engine"]
    assert [(r.levelname, r.getMessage()) for r in engine_lines] == [
        ("INFO", f"workflow run {run_id} is succeeded: nothing to run")
    ]
    assert not [r for r in caplog.records if r.levelname == "ERROR" or r.exc_info]


def test_concurrent_deliveries_of_one_run_all_succeed_and_execute_it_once(
    db: Database, alice: UserClient, published: FakePubSub, settings: Settings, endpoint: Endpoint
) -> None:
    wid = make_workflow(alice, once(endpoint, "concurrent"))
    run_id = start_run(alice, wid).get_json()["run"]["id"]
    [message] = run_messages(published)
    answers: list[int] = []
    instances = [function_client("workflow_run") for _ in range(8)]

    def one(instance: Any) -> None:
        answers.append(deliver(instance, message).status_code)

    threads = [threading.Thread(target=one, args=(instance,)) for instance in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert len(answers) == 8 and all(200 <= code < 300 for code in answers), answers
    assert calls(endpoint, "concurrent") == 1
    row = run_row(db, run_id)
    assert row["status"] == "succeeded" and row["executions"] == 1


def test_a_delivery_naming_another_users_run_runs_nothing(
    db: Database, alice: UserClient, published: FakePubSub, runner: Any, endpoint: Endpoint
) -> None:
    wid = make_workflow(alice, once(endpoint, "not-bobs"))
    run_id = start_run(alice, wid).get_json()["run"]["id"]
    run_messages(published)
    forged = {"runId": run_id, "userId": "bob"}

    hand_over(runner, message_for(forged, message_id="77"))

    assert run_row(db, run_id)["status"] == "queued"
    assert calls(endpoint, "not-bobs") == 0


def test_an_unreadable_delivery_is_acknowledged_and_recorded(db: Database, runner: Any) -> None:
    garbage = Published(RUNS, b"not json", {}, "88")

    hand_over(runner, garbage)

    with db.transaction() as tx:
        row = tx.one(
            "SELECT reason, delivery_id FROM rejected_deliveries WHERE source = 'workflow-run' "
            "ORDER BY created_at DESC LIMIT 1"
        )
    assert row is not None and "runId" in row["reason"]


def test_a_run_whose_hand_off_failed_is_started_by_the_minute_job_after_the_grace(
    db: Database,
    alice: UserClient,
    published: FakePubSub,
    runner: Any,
    endpoint: Endpoint,
    fixed_clock: clock.FixedClock,
) -> None:
    import grpc

    wid = make_workflow(alice, once(endpoint, "lost"))
    published.publisher.fail_code = grpc.StatusCode.INVALID_ARGUMENT  # not retried: lost at once
    res = start_run(alice, wid)
    assert res.status_code == 202
    run_id = res.get_json()["run"]["id"]
    published.publisher.fail_code = None
    minute = function_client("schedule_fire")

    fixed_clock.advance(timedelta(seconds=GRACE - 1))
    early = minute.post("/", json={"tick": True}).get_json()
    assert early["runsStarted"] == 0 and run_row(db, run_id)["status"] == "queued"

    fixed_clock.advance(timedelta(seconds=2))
    late = minute.post("/", json={"tick": True}).get_json()

    assert late["runsStarted"] == 1
    [message] = run_messages(published)  # handed off again, not executed by the tick
    assert run_row(db, run_id)["status"] == "queued"
    hand_over(runner, message)
    assert run_row(db, run_id)["status"] == "succeeded"
    assert calls(endpoint, "lost") == 1


def test_a_repeat_with_the_same_idempotency_key_returns_the_queued_run_and_publishes_nothing(
    alice: UserClient, published: FakePubSub, endpoint: Endpoint
) -> None:
    wid = make_workflow(alice, once(endpoint, "keyed"))
    headers = {"Idempotency-Key": "k-handoff"}

    first = start_run(alice, wid, headers=headers)
    again = start_run(alice, wid, headers=headers)

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.get_json()["run"]["id"] == first.get_json()["run"]["id"]
    assert len(run_messages(published)) == 1


def test_wait_answers_200_with_the_run_once_it_finished_in_time(
    alice: UserClient, published: FakePubSub, runner: Any, endpoint: Endpoint
) -> None:
    wid = make_workflow(alice, once(endpoint, "waited"))

    with workflow_run_instance(runner, published):
        res = start_run(alice, wid, "?wait=25")

    assert res.status_code == 200
    body = res.get_json()
    assert body["success"] is True and body["run"]["status"] == "succeeded"
    assert body["run"]["step_results"][0]["status"] == "succeeded"


def test_wait_answers_202_with_the_run_as_it_stands_when_it_did_not_finish_in_time(
    alice: UserClient, published: FakePubSub, endpoint: Endpoint
) -> None:
    wid = make_workflow(alice, once(endpoint, "not-in-time"))
    clock.use(Ticking())
    try:
        res = start_run(alice, wid, "?wait=5")
    finally:
        clock.use(clock.SYSTEM)

    assert res.status_code == 202
    assert res.get_json()["success"] is True
    assert res.get_json()["run"]["status"] == "queued"


@pytest.mark.parametrize("wait", ["26", "-1", "soon", "nan", "inf"])
def test_a_wait_out_of_bounds_is_422_naming_it_and_starts_nothing(
    db: Database, alice: UserClient, published: FakePubSub, wait: str, endpoint: Endpoint
) -> None:
    wid = make_workflow(alice, once(endpoint, "never"))

    res = start_run(alice, wid, f"?wait={wait}")

    assert res.status_code == 422
    assert "wait" in res.get_json()["error"]
    with db.transaction() as tx:
        assert tx.scalar("SELECT count(*) FROM workflow_runs WHERE workflow_id = %s", (wid,)) == 0
    assert run_messages(published) == []


def test_an_event_matching_several_triggers_hands_each_run_off_and_each_executes(
    db: Database, alice: UserClient, published: FakePubSub, runner: Any, endpoint: Endpoint
) -> None:
    flows = [make_workflow(alice, once(endpoint, f"fan-{n}")) for n in range(3)]
    for flow in flows:
        make_trigger(alice, "fan.out", flow)
    res = alice.post("/api/events", json={"eventType": "fan.out", "payload": {}})
    assert res.status_code == 202
    [event] = [m for m in published.publisher.take() if m.topic != RUNS]
    dispatched = deliver(function_client("event_dispatch"), event)
    assert dispatched.status_code == 200

    messages = run_messages(published)
    assert len(messages) == 3
    for message in messages:
        hand_over(runner, message)

    for n, flow in enumerate(flows):
        with db.transaction() as tx:
            [status] = [
                r["status"]
                for r in tx.all("SELECT status FROM workflow_runs WHERE workflow_id = %s", (flow,))
            ]
        assert status == "succeeded"
        assert calls(endpoint, f"fan-{n}") == 1


def test_the_run_message_names_only_the_run_and_its_user() -> None:
    from shared.workflows.handoff import decode

    data = {"message": {"data": base64.b64encode(b'{"runId": "x"}').decode()}}
    with pytest.raises(Exception, match="runId"):
        decode(data)


def test_a_scheduled_fire_closes_with_its_run_where_the_run_was_executed(
    alice: UserClient, db: Database, published: FakePubSub, runner: Any, endpoint: Endpoint
) -> None:
    """The fire's delivery only hands the run off; the workflow-run delivery that
    finishes it closes the fire's history row, without waiting for the minute job."""
    wid = make_workflow(alice, once(endpoint, "scheduled"))
    made = alice.post(
        "/api/scheduler/tasks", json={"name": "t", "workflowId": wid, "cronExpression": "0 9 1 1 *"}
    )
    task_id = made.get_json()["task"]["id"]
    fired = function_client("schedule_fire").post(
        "/",
        json={"taskId": task_id},
        headers={
            "X-CloudScheduler": "true",
            "X-CloudScheduler-ScheduleTime": "2027-01-01T09:00:00Z",
        },
    )
    assert fired.get_json()["runStatus"] == "queued"
    [message] = run_messages(published)

    hand_over(runner, message)

    with db.transaction() as tx:
        row = tx.one(
            "SELECT status, detail, workflow_run_id FROM scheduled_task_runs WHERE task_id = %s",
            (task_id,),
        )
    assert row is not None and (row["status"], row["detail"]) == ("fired", "workflow run succeeded")
    assert str(row["workflow_run_id"]) == json.loads(message.data)["runId"]


def _delivered_until_idle(runner: Any, published: FakePubSub) -> int:
    """Deliver every run message published, and what those deliveries publish."""
    delivered = 0
    while messages := run_messages(published):
        for message in messages:
            hand_over(runner, message)
            delivered += 1
    return delivered


def test_the_minute_job_hands_a_woken_run_off_instead_of_executing_it(
    alice: UserClient,
    published: FakePubSub,
    runner: Any,
    endpoint: Endpoint,
    fixed_clock: clock.FixedClock,
) -> None:
    nap = {"id": "nap", "type": "sleep", "config": {"seconds": 60}}
    wid = make_workflow(alice, [nap, *once(endpoint, "woken")])
    run_id = start_run(alice, wid).get_json()["run"]["id"]
    _delivered_until_idle(runner, published)
    assert alice.get(f"/api/workflow/run/{run_id}").get_json()["status"] == "sleeping"
    minute = function_client("schedule_fire")

    fixed_clock.advance(timedelta(seconds=61))
    done = minute.post("/", json={"tick": True}).get_json()

    assert done["runsWoken"] == 1
    [message] = run_messages(published)  # handed off: the tick executed nothing itself
    assert json.loads(message.data) == {"runId": run_id, "userId": "alice"}
    assert calls(endpoint, "woken") == 0
    assert alice.get(f"/api/workflow/run/{run_id}").get_json()["status"] == "sleeping"
    hand_over(runner, message)
    assert alice.get(f"/api/workflow/run/{run_id}").get_json()["status"] == "succeeded"
    assert calls(endpoint, "woken") == 1


def test_the_minute_job_hands_off_a_run_whose_wait_timed_out(
    alice: UserClient,
    published: FakePubSub,
    runner: Any,
    endpoint: Endpoint,
    fixed_clock: clock.FixedClock,
) -> None:
    wait = {
        "id": "wait",
        "type": "waitForEvent",
        "config": {"eventType": "video.never", "timeoutSeconds": 60},
    }
    wid = make_workflow(alice, [wait, *once(endpoint, "timed-out")])
    run_id = start_run(alice, wid).get_json()["run"]["id"]
    _delivered_until_idle(runner, published)
    assert alice.get(f"/api/workflow/run/{run_id}").get_json()["status"] == "waiting"
    minute = function_client("schedule_fire")

    fixed_clock.advance(timedelta(seconds=61))
    assert minute.post("/", json={"tick": True}).get_json()["runsWoken"] == 1

    assert calls(endpoint, "timed-out") == 0
    assert _delivered_until_idle(runner, published) == 1
    run = alice.get(f"/api/workflow/run/{run_id}").get_json()
    assert run["status"] == "succeeded" and run["step_results"][0]["output"] is None
    assert calls(endpoint, "timed-out") == 1


def test_an_event_ending_a_wait_hands_the_rest_of_the_run_off(
    alice: UserClient, published: FakePubSub, runner: Any, endpoint: Endpoint
) -> None:
    wait = {"id": "wait", "type": "waitForEvent", "config": {"eventType": "video.done"}}
    wid = make_workflow(alice, [wait, *once(endpoint, "after-wait")])
    run_id = start_run(alice, wid).get_json()["run"]["id"]
    _delivered_until_idle(runner, published)
    assert alice.get(f"/api/workflow/run/{run_id}").get_json()["status"] == "waiting"

    assert (
        alice.post("/api/events", json={"eventType": "video.done", "payload": {}}).status_code
        == 202
    )
    [event] = [m for m in published.publisher.take() if m.topic != RUNS]
    assert deliver(function_client("event_dispatch"), event).status_code == 200

    assert calls(endpoint, "after-wait") == 0  # the dispatch ended the wait, no more
    [message] = [m for m in run_messages(published) if json.loads(m.data)["runId"] == run_id]
    hand_over(runner, message)
    run = alice.get(f"/api/workflow/run/{run_id}").get_json()
    assert run["status"] == "succeeded"
    assert run["step_results"][0]["output"]["eventType"] == "video.done"
    assert calls(endpoint, "after-wait") == 1


def test_the_minute_job_hands_off_a_run_whose_executor_died(
    db: Database, alice: UserClient, published: FakePubSub, runner: Any, endpoint: Endpoint
) -> None:
    wid = make_workflow(alice, once(endpoint, "orphan"))
    run_id = start_run(alice, wid).get_json()["run"]["id"]
    [lost] = run_messages(published)  # its executor took it and died
    with db.transaction() as tx:
        tx.execute(
            "UPDATE workflow_runs SET status = 'running', start_by = NULL, lease_owner = 'gone', "
            "lease_until = now() - interval '1 s' WHERE id = %s",
            (run_id,),
        )
    minute = function_client("schedule_fire")

    assert minute.post("/", json={"tick": True}).get_json()["runsResumed"] == 1

    assert calls(endpoint, "orphan") == 0
    # other tests' runs may be due as well: this one is handed off exactly once
    [resumed] = [m for m in run_messages(published) if json.loads(m.data)["runId"] == run_id]
    assert json.loads(resumed.data) == json.loads(lost.data)
    hand_over(runner, resumed)
    assert alice.get(f"/api/workflow/run/{run_id}").get_json()["status"] == "succeeded"
    assert calls(endpoint, "orphan") == 1


def test_a_run_the_minute_job_cannot_hand_off_it_executes_itself(
    alice: UserClient,
    published: FakePubSub,
    runner: Any,
    endpoint: Endpoint,
    fixed_clock: clock.FixedClock,
) -> None:
    import grpc

    nap = {"id": "nap", "type": "sleep", "config": {"seconds": 60}}
    wid = make_workflow(alice, [nap, *once(endpoint, "not-handed")])
    run_id = start_run(alice, wid).get_json()["run"]["id"]
    _delivered_until_idle(runner, published)
    minute = function_client("schedule_fire")
    fixed_clock.advance(timedelta(seconds=61))
    published.publisher.fail_code = grpc.StatusCode.INVALID_ARGUMENT
    try:
        assert minute.post("/", json={"tick": True}).get_json()["runsWoken"] == 1
    finally:
        published.publisher.fail_code = None

    assert alice.get(f"/api/workflow/run/{run_id}").get_json()["status"] == "succeeded"
    assert calls(endpoint, "not-handed") == 1


def _failed_then_fixed(
    alice: UserClient, runner: Any, published: FakePubSub, endpoint: Endpoint, key: str
) -> str:
    """A run of [a step that succeeds, a step that fails once], failed, the failing
    step's endpoint fixed since: its id."""
    flaky = endpoint.serve(f"/{key}-flaky", b'{"answer": NaN}')  # JSON no database can store
    steps = [
        *once(endpoint, f"{key}-first"),
        {"id": "flaky", "type": "http", "config": {"url": flaky}},
    ]
    run_id = start_run(alice, make_workflow(alice, steps)).get_json()["run"]["id"]
    _delivered_until_idle(runner, published)
    assert alice.get(f"/api/workflow/run/{run_id}").get_json()["status"] == "failed"
    endpoint.serve(f"/{key}-flaky", b'{"answer": 42}')
    return str(run_id)


def test_a_retried_run_is_handed_off_answered_202_and_its_delivery_finishes_it(
    alice: UserClient, published: FakePubSub, runner: Any, endpoint: Endpoint
) -> None:
    run_id = _failed_then_fixed(alice, runner, published, endpoint, "retried")

    res = alice.post(f"/api/workflow/run/{run_id}/retry")

    assert res.status_code == 202, res.get_json()
    assert res.get_json()["run"]["status"] == "running"
    assert calls(endpoint, "retried-flaky") == 1  # nothing ran in the request
    [message] = run_messages(published)
    assert json.loads(message.data) == {"runId": run_id, "userId": "alice"}
    hand_over(runner, message)
    run = alice.get(f"/api/workflow/run/{run_id}").get_json()
    assert run["status"] == "succeeded"
    assert (calls(endpoint, "retried-first"), calls(endpoint, "retried-flaky")) == (1, 2)
    hand_over(runner, message)  # a redelivery runs nothing
    assert (calls(endpoint, "retried-first"), calls(endpoint, "retried-flaky")) == (1, 2)


def test_a_retry_whose_hand_off_fails_is_executed_by_the_request(
    alice: UserClient, published: FakePubSub, runner: Any, endpoint: Endpoint
) -> None:
    import grpc

    run_id = _failed_then_fixed(alice, runner, published, endpoint, "retried-here")
    published.publisher.fail_code = grpc.StatusCode.INVALID_ARGUMENT
    try:
        res = alice.post(f"/api/workflow/run/{run_id}/retry")
    finally:
        published.publisher.fail_code = None

    assert res.status_code == 200, res.get_json()
    assert res.get_json()["success"] is True
    assert res.get_json()["run"]["status"] == "succeeded"
    assert calls(endpoint, "retried-here-flaky") == 2


def test_a_retry_with_wait_answers_200_once_its_delivery_finished_it(
    alice: UserClient, published: FakePubSub, runner: Any, endpoint: Endpoint
) -> None:
    run_id = _failed_then_fixed(alice, runner, published, endpoint, "retried-wait")

    with workflow_run_instance(runner, published):
        res = alice.post(f"/api/workflow/run/{run_id}/retry?wait=25")

    assert res.status_code == 200, res.get_json()
    assert res.get_json()["run"]["status"] == "succeeded"
