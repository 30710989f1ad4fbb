"""A waitForEvent step: the run waits, holding nothing, until an event of its user
with that type and matching conditions is dispatched after the wait began (its
envelope the step's output), or until the per-minute job times the wait out; a
waiting run can be cancelled, is woken once however many matching events race, and
belongs to its user alone. Events go through the real API, Pub/Sub client and
event-dispatch function; the clock is the test's."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from shared import bootstrap, clock
from shared.config import Settings
from shared.db import Database
from shared.workflows.runs import UNFINISHED
from tests.conftest import UserClient, function_client
from tests.events.conftest import (  # noqa: F401 (fixtures)
    bus_settings,
    deliver,
    dispatch_client,
    fake_pubsub,
    published,
)
from tests.events.helpers import make_trigger, make_workflow, runs_of, triggered_count
from tests.support.fake_pubsub import FakePubSub, Published
from tests.workflows.conftest import Endpoint


@pytest.fixture(scope="module")
def settings(db_url: str, fake_pubsub: FakePubSub) -> Settings:  # noqa: F811
    """Events go to the fake Pub/Sub; http steps may call the local endpoint."""
    s = bus_settings(db_url, fake_pubsub, HTTP_STEP_ALLOWLIST="127.0.0.1")
    bootstrap.configure(s)
    return s


def wait_step(event_type: str, conditions: Any = None, **config: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"eventType": event_type, **config}
    if conditions is not None:
        body["conditions"] = conditions
    return {"id": "wait", "type": "waitForEvent", "config": body}


def start(user: UserClient, steps: list[dict[str, Any]], **run_input: Any) -> dict[str, Any]:
    made = user.post("/api/workflow", json={"name": "waits", "steps": steps})
    assert made.status_code == 201, made.get_json()
    wid = made.get_json()["workflow"]["id"]
    res = user.post(f"/api/workflow/{wid}/run", json={"input": run_input})
    run = dict(res.get_json()["run"])
    assert res.status_code == (202 if run["status"] in UNFINISHED else 200), run
    return run


@dataclass
class Bus:
    """Events as a user publishes them (``POST /api/events``, the real Pub/Sub client
    to the fake) and as Eventarc delivers them to ``event-dispatch``."""

    fake: FakePubSub
    client: Any

    def publish(self, user: UserClient, event_type: str, payload: Any) -> Published:
        res = user.post("/api/events", json={"eventType": event_type, "payload": payload})
        assert res.status_code == 202, res.get_json()
        [message] = self.fake.publisher.take()
        return message

    def dispatch(self, message: Published, client: Any = None) -> int:
        return int(deliver(client or self.client, message).status_code)

    def send(self, user: UserClient, event_type: str, payload: Any) -> Published:
        message = self.publish(user, event_type, payload)
        assert self.dispatch(message) == 200
        return message


@pytest.fixture
def bus(dispatch_client: Any, published: FakePubSub) -> Bus:  # noqa: F811
    return Bus(published, dispatch_client)


def shown(user: UserClient, run_id: str) -> dict[str, Any]:
    res = user.get(f"/api/workflow/run/{run_id}")
    assert res.status_code == 200, res.get_json()
    return dict(res.get_json())


def tick() -> dict[str, Any]:
    res = function_client("schedule_fire").post("/", json={"tick": True})
    assert res.status_code == 200, res.get_json()
    return dict(res.get_json())


def waits_of(db: Database, run_id: str) -> list[dict[str, Any]]:
    with db.transaction() as tx:
        return tx.all("SELECT * FROM workflow_waits WHERE run_id = %s", (run_id,))


def reads_the_event(step_id: str = "check") -> dict[str, Any]:
    """A later step that shows what it read of the wait's output."""
    subject = {"video": "{{steps.wait.output.payload.videoId}}", "event": "{{steps.wait.output}}"}
    return {"id": step_id, "type": "condition", "config": {"subject": subject, "conditions": {}}}


def test_a_matching_event_resumes_the_run_with_its_envelope_as_the_output(
    db: Database,
    alice: UserClient,
    bus: Bus,
    fixed_clock: clock.FixedClock,
) -> None:
    conditions = {"videoId": "{{input.videoId}}", "seconds": {"$gte": 10}}
    run = start(alice, [wait_step("video.completed", conditions), reads_the_event()], videoId="v1")
    timeout = clock.now() + timedelta(days=1)  # the default
    assert run["status"] == "waiting"
    [waiting] = shown(alice, run["id"])["step_results"]
    assert waiting["status"] == "waiting"
    assert waiting["waitingFor"] == {
        "eventType": "video.completed",
        "conditions": {"videoId": "v1", "seconds": {"$gte": 10}},
        "timeoutAt": timeout.isoformat(),
    }
    [wait] = waits_of(db, run["id"])
    assert (wait["user_id"], wait["step_id"], wait["timeout_at"]) == ("alice", "wait", timeout)

    fixed_clock.advance(timedelta(minutes=5))
    message = bus.send(alice, "video.completed", {"videoId": "v1", "seconds": 42})

    done = shown(alice, run["id"])
    assert done["status"] == "succeeded", done
    envelope = json.loads(message.data)
    wait_record, check = done["step_results"]
    assert wait_record["status"] == "succeeded" and wait_record["output"] == envelope
    assert envelope["eventId"] and envelope["payload"] == {"videoId": "v1", "seconds": 42}
    assert "waitingFor" not in wait_record
    assert wait_record["durationMs"] == 5 * 60 * 1000
    assert check["input"]["subject"] == {"video": "v1", "event": envelope}
    assert waits_of(db, run["id"]) == []


@pytest.mark.parametrize(
    ("who", "event_type", "payload"),
    [
        ("alice", "video.started", {"videoId": "n1"}),  # another type
        ("alice", "video.completed", {"videoId": "someone else's"}),  # conditions fail
        ("alice", "video.completed", {}),  # the field is missing
        ("bob", "video.completed", {"videoId": "n1"}),  # another user
    ],
    ids=["other-type", "conditions-fail", "field-missing", "other-user"],
)
def test_an_event_that_does_not_match_leaves_the_run_waiting(
    api: Any,
    alice: UserClient,
    bus: Bus,
    fixed_clock: clock.FixedClock,
    who: str,
    event_type: str,
    payload: dict[str, Any],
) -> None:
    run = start(alice, [wait_step("video.completed", {"videoId": "n1"})])
    bus.send(UserClient(api, who), event_type, payload)
    assert shown(alice, run["id"])["status"] == "waiting"

    matching = bus.send(alice, "video.completed", {"videoId": "n1"})  # the wait was live all along
    done = shown(alice, run["id"])
    assert done["status"] == "succeeded"
    assert done["step_results"][0]["output"]["eventId"] == json.loads(matching.data)["eventId"]


def test_an_event_dispatched_before_the_wait_began_does_not_resume_it(
    alice: UserClient,
    bus: Bus,
    fixed_clock: clock.FixedClock,
) -> None:
    earlier = bus.send(alice, "video.completed", {"videoId": "b1"})
    run = start(alice, [wait_step("video.completed", {"videoId": "b1"})])
    assert bus.dispatch(earlier) == 200  # a redelivery of it, after the wait began
    fixed_clock.advance(timedelta(minutes=2))
    tick()
    assert shown(alice, run["id"])["status"] == "waiting"


def test_one_event_resumes_every_run_waiting_for_it(
    alice: UserClient,
    bus: Bus,
    fixed_clock: clock.FixedClock,
) -> None:
    first = start(alice, [wait_step("video.completed", {"videoId": "m1"})])
    second = start(alice, [wait_step("video.completed")])
    message = bus.send(alice, "video.completed", {"videoId": "m1"})
    for run in (first, second):
        done = shown(alice, run["id"])
        assert done["status"] == "succeeded"
        assert done["step_results"][0]["output"] == json.loads(message.data)


def test_a_wait_that_times_out_continues_with_null_when_the_tick_after_it_comes(
    db: Database, alice: UserClient, fixed_clock: clock.FixedClock
) -> None:
    steps = [wait_step("video.completed", {"videoId": "t1"}, timeoutSeconds=120)]
    run = start(alice, [*steps, reads_the_event()])
    fixed_clock.advance(timedelta(seconds=100))
    tick()
    assert shown(alice, run["id"])["status"] == "waiting"

    fixed_clock.advance(timedelta(seconds=40))
    assert tick()["runsWoken"] >= 1
    done = shown(alice, run["id"])
    assert done["status"] == "succeeded", done
    wait_record, check = done["step_results"]
    assert wait_record["status"] == "succeeded" and wait_record["output"] is None
    assert check["status"] == "succeeded"
    assert check["input"]["subject"] == {"video": None, "event": None}
    assert waits_of(db, run["id"]) == []


def test_a_wait_that_times_out_with_on_timeout_fail_fails_the_run_even_if_the_event_comes_late(
    alice: UserClient,
    bus: Bus,
    fixed_clock: clock.FixedClock,
) -> None:
    wait = wait_step("video.completed", {"videoId": "f1"}, timeoutSeconds=60, onTimeout="fail")
    run = start(alice, [wait, reads_the_event()])
    fixed_clock.advance(timedelta(seconds=61))
    bus.send(alice, "video.completed", {"videoId": "f1"})
    assert shown(alice, run["id"])["status"] == "waiting"  # past its timeout: no match

    tick()
    done = shown(alice, run["id"])
    assert done["status"] == "failed"
    assert done["error"] == "step 'wait' failed: no video.completed event matched within 60 s"
    assert [(s["id"], s["status"]) for s in done["step_results"]] == [
        ("wait", "failed"),
        ("check", "skipped"),
    ]


def test_a_run_whose_wait_timed_out_waits_again_when_retried(
    db: Database, alice: UserClient, fixed_clock: clock.FixedClock
) -> None:
    wait = wait_step("video.completed", {"videoId": "y1"}, timeoutSeconds=60, onTimeout="fail")
    run = start(alice, [wait])
    fixed_clock.advance(timedelta(seconds=61))
    tick()
    res = alice.post(f"/api/workflow/run/{run['id']}/retry")
    assert res.status_code == 202, res.get_json()  # not finished: it waits again
    retried = res.get_json()["run"]
    assert (retried["status"], retried["error"]) == ("waiting", None)
    [waiting] = retried["step_results"]
    assert waiting["waitingFor"]["timeoutAt"] == (clock.now() + timedelta(seconds=60)).isoformat()
    assert len(waits_of(db, run["id"])) == 1


def test_conditions_that_render_to_invalid_ones_fail_the_step(alice: UserClient) -> None:
    conditions = {"seconds": {"$gt": "{{input.least}}"}}
    run = start(alice, [wait_step("video.completed", conditions)], least={"not": "a number"})
    assert run["status"] == "failed"
    error = run["step_results"][0]["error"]
    assert error.startswith("conditions did not render to valid ones") and "$gt" in error


def test_a_waiting_run_is_cancelled_at_once_and_no_event_or_timeout_resumes_it(
    db: Database,
    alice: UserClient,
    bus: Bus,
    fixed_clock: clock.FixedClock,
) -> None:
    run = start(alice, [wait_step("video.completed", {"videoId": "c1"}), reads_the_event()])
    res = alice.post(f"/api/workflow/run/{run['id']}/cancel")
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["run"]["status"] == "cancelled"
    assert waits_of(db, run["id"]) == []

    bus.send(alice, "video.completed", {"videoId": "c1"})
    fixed_clock.advance(timedelta(days=2))
    tick()
    final = shown(alice, run["id"])
    assert final["status"] == "cancelled"
    assert [(s["id"], s["status"], s["reason"]) for s in final["step_results"]] == [
        ("wait", "skipped", "run cancelled"),
        ("check", "skipped", "run cancelled"),
    ]
    assert "waitingFor" not in final["step_results"][0]


def test_two_matching_events_dispatched_at_once_resume_the_run_once(
    db: Database,
    alice: UserClient,
    endpoint: Endpoint,
    bus: Bus,
    fixed_clock: clock.FixedClock,
) -> None:
    after = {"id": "after", "type": "http", "config": {"url": endpoint.url("/after-wait")}}
    run = start(alice, [wait_step("video.completed", {"videoId": "r1"}), after])
    messages = [bus.publish(alice, "video.completed", {"videoId": "r1", "n": n}) for n in (1, 2)]
    statuses: list[int] = []

    def deliver(message: Published) -> None:
        statuses.append(bus.dispatch(message, bus.client.application.test_client()))

    threads = [threading.Thread(target=deliver, args=(m,)) for m in messages]
    with db.transaction() as holder:  # both dispatches meet this wait at the same moment
        holder.one("SELECT 1 FROM workflow_waits WHERE run_id = %s FOR UPDATE", (run["id"],))
        for t in threads:
            t.start()
        until_blocked(db, 2)
    for t in threads:
        t.join()

    assert statuses == [200, 200]
    done = shown(alice, run["id"])
    assert done["status"] == "succeeded"
    ids = {json.loads(m.data)["eventId"] for m in messages}
    assert done["step_results"][0]["output"]["eventId"] in ids
    assert len([r for r in endpoint.received if r["path"] == "/after-wait"]) == 1
    with db.transaction() as tx:
        executions = tx.scalar("SELECT executions FROM workflow_runs WHERE id = %s", (run["id"],))
    assert executions == 2  # started, then resumed once


def test_a_dispatch_cut_off_before_its_waiting_run_heard_it_is_finished_by_a_redelivery(
    db: Database,
    alice: UserClient,
    bus: Bus,
    fixed_clock: clock.FixedClock,
) -> None:
    """The event settles in the claim's transaction (a condition-only trigger runs in
    place); the run waiting for it is resumed after that commit, and the connection
    doing so dies. The event is not left dispatched without its wait ended: the
    redelivery resumes the run, and runs the trigger no second time."""
    gate = make_workflow(alice)
    trigger = make_trigger(alice, "video.completed", gate)
    run = start(alice, [wait_step("video.completed", {"videoId": "k1"}), reads_the_event()])
    message = bus.publish(alice, "video.completed", {"videoId": "k1"})
    statuses: list[int] = []
    delivery = threading.Thread(
        target=lambda: statuses.append(bus.dispatch(message, bus.client.application.test_client()))
    )
    with db.transaction() as holder:  # the wake-up waits for the run's row ...
        holder.one("SELECT 1 FROM workflow_runs WHERE id = %s FOR UPDATE", (run["id"],))
        delivery.start()
        until_blocked(db, 1)
        holder.all(  # ... and its connection dies there
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
    delivery.join()

    while statuses[-1] >= 300:  # Pub/Sub delivers again until acknowledged
        assert len(statuses) < 5, statuses
        statuses.append(bus.dispatch(message))
    done = shown(alice, run["id"])
    assert done["status"] == "succeeded", statuses
    assert done["step_results"][0]["output"]["eventId"] == json.loads(message.data)["eventId"]
    assert len(runs_of(db, gate)) == 1 and triggered_count(db, trigger) == 1


def until_blocked(db: Database, sessions: int) -> None:
    """Wait until that many other sessions of this database wait for a lock."""
    deadline = time.monotonic() + 20
    while True:
        with db.transaction() as tx:
            waiting = tx.scalar(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        if waiting >= sessions:
            return
        assert time.monotonic() < deadline, f"{waiting} of {sessions} sessions reached the lock"
        time.sleep(0.05)


def test_another_users_waiting_run_is_not_found(
    alice: UserClient, bob: UserClient, fixed_clock: clock.FixedClock
) -> None:
    run = start(alice, [wait_step("video.completed", {"videoId": "x1"})])
    assert bob.get(f"/api/workflow/run/{run['id']}").status_code == 404
    res = bob.post(f"/api/workflow/run/{run['id']}/cancel")
    assert res.status_code == 404 and res.get_json() == {"error": "run not found"}
    assert shown(alice, run["id"])["status"] == "waiting"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"eventType": "VideoDone"}, "eventType must look like"),
        ({"eventType": "video.completed", "conditions": {"a": {"$near": 1}}}, "unknown operator"),
        ({"eventType": "video.completed", "conditions": {"a": {"$in": 1}}}, "$in takes a list"),
        ({"eventType": "video.completed", "timeoutSeconds": 0}, "timeoutSeconds"),
        ({"eventType": "video.completed", "timeoutSeconds": 30 * 86400 + 1}, "timeoutSeconds"),
        ({"eventType": "video.completed", "onTimeout": "retry"}, "onTimeout"),
        ({"eventType": "video.completed", "conditions": {"a": "{{steps.wait.output}}"}}, "itself"),
        ({"conditions": {}}, "eventType"),
    ],
)
def test_a_bad_wait_is_refused_when_saved(
    alice: UserClient, config: dict[str, Any], message: str
) -> None:
    step = {"id": "wait", "type": "waitForEvent", "config": config}
    res = alice.post("/api/workflow", json={"name": "bad", "steps": [step]})
    assert res.status_code == 422, res.get_json()
    error = res.get_json()["error"]
    assert error.startswith("step 'wait' (#1)") and message in error
