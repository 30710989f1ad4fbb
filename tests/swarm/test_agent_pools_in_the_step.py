"""Agent pools with members in threads of the step (no hand-off): a pool at its limit
makes the members beyond it wait and look again, and they all run in the end, never
more at once than the limit (counted by the fake Gemini, which holds every reply a
while so that members overlap)."""

from __future__ import annotations

import pytest

from shared import bootstrap
from shared.config import Settings
from shared.swarm import pools
from tests.conftest import UserClient, test_settings
from tests.events.helpers import make_workflow
from tests.support.fake_gemini import FakeGemini
from tests.swarm.conftest import swarm, swarm_record

LIMIT = 2


@pytest.fixture(scope="module")
def settings(db_url: str, fake_gemini_server: FakeGemini) -> Settings:
    s = test_settings(
        db_url,
        DB_POOL_SIZE=16,
        AGENT_POOL_LIMIT=LIMIT,
        **fake_gemini_server.env(MODEL_MAX_ATTEMPTS=1),
    )
    bootstrap.configure(s)
    return s


def test_a_pool_at_its_limit_queues_the_rest_and_drains(
    alice: UserClient, slow_model: FakeGemini
) -> None:
    wid = make_workflow(alice, swarm(count=5, quorum=5))

    res = alice.post(f"/api/workflow/{wid}/run", json={"input": {"topic": "tea"}})

    run = res.get_json()["run"]
    assert run["status"] == "succeeded", run
    assert [m["status"] for m in swarm_record(run)["output"]["members"]] == ["succeeded"] * 5
    assert len(slow_model.of("generateContent")) == 5
    assert slow_model.most_generating <= LIMIT
    assert pools.in_use("scribe_01") == 0
