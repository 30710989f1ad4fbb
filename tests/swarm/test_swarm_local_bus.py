"""A swarm under the one-process server (``segp serve``'s shape): the local bus posts
the run, and then each member, to the local ``/workflow-run`` from its own worker
threads, and the member that settles the swarm wakes the run, which decides. The
offline model answers."""

from __future__ import annotations

import pytest

from shared import bootstrap
from shared.config import Settings
from shared.db import Database
from shared.events.bus import get_bus
from shared.workflows import engine
from tests.conftest import UserClient, test_settings
from tests.events.helpers import make_trigger, make_workflow
from tests.events.test_local_bus import free_port, server  # noqa: F401 (fixture)
from tests.swarm.conftest import decided_events, swarm, swarm_record


@pytest.fixture(scope="module")
def settings(db_url: str) -> Settings:
    s = test_settings(db_url, EVENT_BUS="local", PORT=free_port(), DB_POOL_SIZE=16)
    bootstrap.configure(s)
    return s


@pytest.mark.usefixtures("server")
def test_a_swarm_runs_end_to_end_on_the_local_bus(alice: UserClient, db: Database) -> None:
    wid = make_workflow(alice, swarm(count=3, decide="best"))

    res = alice.post(f"/api/workflow/{wid}/run?wait=20", json={"input": {"topic": "tea"}})

    assert res.status_code == 200, res.get_json()
    run = res.get_json()["run"]
    assert run["status"] == "succeeded", run
    output = swarm_record(run)["output"]
    assert [m["status"] for m in output["members"]] == ["succeeded"] * 3
    assert output["winner"] in (0, 1, 2)
    assert len(decided_events(db, run["id"])) == 1


@pytest.mark.usefixtures("server")
def test_a_trigger_on_swarm_decided_runs_a_workflow_given_the_decision(
    alice: UserClient, db: Database
) -> None:
    crowd = make_workflow(alice, swarm(count=3))
    noted = [{"id": "note", "type": "emit", "config": {"eventType": "swarm.noted",
              "payload": {"decision": "{{trigger.payload.decision}}"}}}]  # fmt: skip
    make_trigger(alice, "swarm.decided", make_workflow(alice, noted), {"strategy": "vote"})

    res = alice.post(f"/api/workflow/{crowd}/run?wait=20", json={"input": {"topic": "tea"}})
    run = res.get_json()["run"]
    decision = swarm_record(run)["output"]["decision"]
    get_bus().join()  # the event dispatched, and the run it started handed off

    [event] = [
        e
        for e in alice.get("/api/events/log?eventType=swarm.decided").get_json()
        if e["event_data"]["runId"] == run["id"]
    ]
    assert event["event_data"]["decision"] == decision
    [started] = event["runs"]
    ended = engine.wait("alice", started["id"], 20)
    assert ended["status"] == "succeeded", ended
    assert ended["trigger_data"]["payload"]["decision"] == decision
