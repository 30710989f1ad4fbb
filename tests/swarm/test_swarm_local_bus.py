"""A swarm under the one-process server (``segp serve``'s shape): the local bus posts
the run, and then each member, to the local ``/workflow-run`` from its own worker
threads, and the member that settles the swarm wakes the run, which decides. The
offline model answers."""

from __future__ import annotations

import pytest

from shared import bootstrap
from shared.config import Settings
from shared.db import Database
from tests.conftest import UserClient, test_settings
from tests.events.helpers import make_workflow
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
