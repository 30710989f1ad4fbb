"""Flow control on a workflow, each rule across two deliveries racing: the decisions are
taken under a lock on the workflow in the transactions that claim and begin runs, so
they hold however the deliveries interleave and on whichever instance they land. Runs
are handed off on the fake Pub/Sub here, so a start claims and a ``workflow-run``
delivery begins; the project's clock is stopped, so sleeps and debounces end when the
test moves it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from shared import bootstrap, clock
from shared.config import Settings
from shared.db import Database
from shared.workflows import engine
from tests.conftest import UserClient, auth, function_client
from tests.events.conftest import bus_settings
from tests.support.fake_pubsub import FakePubSub, Published
from tests.workflows.test_handoff import hand_over, run_messages

NAP = [{"id": "nap", "type": "sleep", "config": {"seconds": 60}}]


@pytest.fixture(scope="module")
def settings(db_url: str, fake_pubsub: FakePubSub) -> Settings:
    s = bus_settings(db_url, fake_pubsub, RUNS_TOPIC="segp-runs", DB_POOL_SIZE=12)
    bootstrap.configure(s)
    return s


@pytest.fixture(scope="module")
def runner(settings: Settings) -> Any:
    return function_client("workflow_run")


def together(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at the same moment, each on its own thread; their results."""
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def one(i: int) -> None:
        start.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def workflow(user: UserClient, steps: list[dict[str, Any]], rules: dict[str, Any]) -> str:
    res = user.post("/api/workflow", json={"name": "flow", "steps": steps, "flowControl": rules})
    assert res.status_code == 201, res.get_json()
    assert res.get_json()["workflow"]["flow_control"] == rules
    return str(res.get_json()["workflow"]["id"])


def start(wid: str, given: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """A start of the workflow through its own api instance, as a separate delivery."""
    api = function_client("api")

    def call() -> dict[str, Any]:
        res = api.post(f"/api/workflow/{wid}/run", json={"input": given}, headers=auth("alice"))
        assert res.status_code in (200, 202), res.get_json()
        run: dict[str, Any] = res.get_json()["run"]
        return run

    return call


def delivery(message: Published) -> Callable[[], Any]:
    runner = function_client("workflow_run")
    return lambda: hand_over(runner, message)


def status(alice: UserClient, run_id: str) -> dict[str, Any]:
    found: dict[str, Any] = alice.get(f"/api/workflow/run/{run_id}").get_json()
    return found


def test_a_concurrency_limit_holds_the_second_of_two_racing_runs_until_the_first_ends(
    alice: UserClient,
    published: FakePubSub,
    runner: Any,
    db: Database,
    fixed_clock: clock.FixedClock,
) -> None:
    wid = workflow(alice, NAP, {"concurrency": 1})
    ids = [start(wid, {})()["id"], start(wid, {})()["id"]]
    messages = run_messages(published)

    together(*(delivery(m) for m in messages))

    states = {run_id: status(alice, run_id)["status"] for run_id in ids}
    assert states == {ids[0]: "sleeping", ids[1]: "queued"}  # the place goes to the older
    held = ids[1]
    with db.transaction() as tx:
        assert tx.scalar("SELECT held FROM workflow_runs WHERE id = %s", (held,)) is True

    fixed_clock.advance(timedelta(seconds=61))
    assert engine.wake_due() == 1  # the first is handed off to end ...
    [first] = [run_id for run_id in ids if run_id != held]
    [woken] = run_messages(published)
    assert woken.attributes["runId"] == first
    hand_over(runner, woken)  # ... and its end releases the held one
    assert status(alice, first)["status"] == "succeeded"
    [released] = run_messages(published)
    assert released.attributes["runId"] == held
    hand_over(runner, released)
    assert status(alice, held)["status"] == "sleeping"


def test_a_concurrency_place_goes_to_the_older_run_whichever_delivery_arrives_first(
    alice: UserClient, published: FakePubSub, runner: Any
) -> None:
    wid = workflow(alice, NAP, {"concurrency": 1})
    older, younger = start(wid, {})()["id"], start(wid, {})()["id"]
    by_run = {m.attributes["runId"]: m for m in run_messages(published)}

    hand_over(runner, by_run[younger])  # nothing runs, but an older run is about to
    assert status(alice, younger)["status"] == "queued"
    hand_over(runner, by_run[older])
    assert status(alice, older)["status"] == "sleeping"
    assert status(alice, younger)["status"] == "queued"


def test_a_concurrency_key_limits_each_key_on_its_own(
    alice: UserClient, published: FakePubSub
) -> None:
    wid = workflow(alice, NAP, {"key": "{{input.channel}}", "concurrency": 1})
    ids = [start(wid, {"channel": "a"})()["id"], start(wid, {"channel": "b"})()["id"]]

    together(*(delivery(m) for m in run_messages(published)))

    assert [status(alice, run_id)["status"] for run_id in ids] == ["sleeping", "sleeping"]


def test_a_rate_limit_skips_the_run_past_it_of_two_racing_starts(
    alice: UserClient, published: FakePubSub
) -> None:
    wid = workflow(alice, NAP, {"rateLimit": {"limit": 1, "periodSeconds": 3600}})

    runs = together(start(wid, {}), start(wid, {}))

    assert sorted(r["status"] for r in runs) == ["queued", "skipped"]
    [skipped] = [r for r in runs if r["status"] == "skipped"]
    assert skipped["error"] == "rate limited: at most 1 runs per 3600 s"
    assert len(run_messages(published)) == 1


def test_a_debounce_runs_once_after_the_quiet_period_with_the_last_event(
    alice: UserClient, published: FakePubSub, runner: Any, fixed_clock: clock.FixedClock
) -> None:
    gate = [{"id": "last", "type": "condition",
             "config": {"subject": "{{input}}", "conditions": {"n": 3}}}]  # fmt: skip
    wid = workflow(alice, gate, {"debounce": {"seconds": 60}})
    first = together(start(wid, {"n": 1}), start(wid, {"n": 2}))
    assert sorted(r["status"] for r in first) == ["skipped", "sleeping"]
    [pending] = [r for r in first if r["status"] == "sleeping"]
    fixed_clock.advance(timedelta(seconds=30))
    later = start(wid, {"n": 3})()
    assert later["status"] == "skipped"
    assert later["error"] == f"debounced: run {pending['id']} runs with this event"
    assert run_messages(published) == []

    fixed_clock.advance(timedelta(seconds=31))  # 61 s after the first, 31 after the last
    assert engine.wake_due() == 0
    fixed_clock.advance(timedelta(seconds=30))
    assert engine.wake_due() == 1
    [woken] = run_messages(published)  # handed off to run with the last event
    assert woken.attributes["runId"] == pending["id"]
    hand_over(runner, woken)

    ran = status(alice, pending["id"])
    assert ran["status"] == "succeeded"
    assert ran["input"] == {"n": 3}
    assert ran["step_results"][0]["matched"] is True


def test_held_runs_start_highest_priority_first(
    alice: UserClient, published: FakePubSub, runner: Any, fixed_clock: clock.FixedClock
) -> None:
    wid = workflow(alice, NAP, {"concurrency": 1, "priority": "{{input.priority}}"})
    first = start(wid, {"priority": 0})()["id"]
    hand_over(runner, *run_messages(published))
    low, high = start(wid, {"priority": 1})()["id"], start(wid, {"priority": 9})()["id"]
    together(*(delivery(m) for m in run_messages(published)))
    assert status(alice, low)["status"] == status(alice, high)["status"] == "queued"

    fixed_clock.advance(timedelta(seconds=61))
    engine.wake_due()
    [woken] = run_messages(published)
    assert woken.attributes["runId"] == first
    hand_over(runner, woken)

    assert status(alice, first)["status"] == "succeeded"
    assert [m.attributes["runId"] for m in run_messages(published)] == [high]


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"concurrency": 0}, "flowControl.concurrency"),
        ({"rateLimit": {"limit": 1}}, "flowControl.rateLimit.periodSeconds"),
        ({"debounce": {"seconds": 1, "extra": 1}}, "flowControl.debounce.extra"),
        ({"key": "{{steps.a.output}}"}, "may only read trigger and input"),
        ({"priority": 1000}, "between -100 and 100"),
    ],
)
def test_flow_control_that_cannot_hold_is_refused(
    alice: UserClient, rules: dict[str, Any], message: str
) -> None:
    res = alice.post("/api/workflow", json={"name": "bad", "steps": NAP, "flowControl": rules})

    assert res.status_code == 422
    assert message in res.get_json()["error"]
