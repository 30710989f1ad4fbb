"""A swarm step with no hand-off configured: the step runs its members side by side in
threads of its own executor and decides once they ended or its time is up. Also the
rules a swarm step is saved under."""

from __future__ import annotations

import pytest

from shared import bootstrap
from shared.config import Settings
from shared.db import Database
from tests.conftest import UserClient, test_settings
from tests.events.helpers import make_workflow
from tests.support.fake_gemini import FakeGemini
from tests.swarm.conftest import REFUSED, decided_events, swarm, swarm_record


@pytest.fixture(scope="module")
def settings(db_url: str, fake_gemini_server: FakeGemini) -> Settings:
    s = test_settings(db_url, DB_POOL_SIZE=12, **fake_gemini_server.env(MODEL_MAX_ATTEMPTS=1))
    bootstrap.configure(s)
    return s


def run(user: UserClient, steps: list[dict[str, object]]) -> dict[str, object]:
    wid = make_workflow(user, steps)
    res = user.post(f"/api/workflow/{wid}/run", json={"input": {"topic": "tea"}})
    body: dict[str, object] = res.get_json()["run"]
    return body


def test_the_members_run_in_the_step_and_the_run_ends_in_the_request(
    db: Database, alice: UserClient, fake_gemini: FakeGemini
) -> None:
    finished = run(alice, swarm(count=4))

    assert finished["status"] == "succeeded", finished
    output = swarm_record(finished)["output"]
    assert [m["status"] for m in output["members"]] == ["succeeded"] * 4
    assert output["tally"][0]["votes"] == 4
    assert len(fake_gemini.of("generateContent")) == 4
    assert len(decided_events(db, str(finished["id"]))) == 1


def test_one_failing_member_in_the_step_leaves_the_quorum_met(
    alice: UserClient, fake_gemini: FakeGemini
) -> None:
    fake_gemini.script_reply(REFUSED, status=400)

    finished = run(alice, swarm(count=3, quorum=2))

    assert finished["status"] == "succeeded", finished
    statuses = sorted(m["status"] for m in swarm_record(finished)["output"]["members"])
    assert statuses == ["failed", "succeeded", "succeeded"]


def test_a_member_still_out_when_the_time_is_up_is_timed_out(
    alice: UserClient, fake_gemini: FakeGemini
) -> None:
    # one member's model call (whichever asks first) hangs until the test is over
    fake_gemini.delay(30, only="generate")

    finished = run(alice, swarm(count=3, quorum=2, timeoutSeconds=1))

    assert finished["status"] == "succeeded", finished
    members = swarm_record(finished)["output"]["members"]
    assert sorted(m["status"] for m in members) == ["succeeded", "succeeded", "timed_out"]
    [late] = [m for m in members if m["status"] == "timed_out"]
    assert late["error"] == "timed out"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"quorum": 4}, "quorum 4 is more than the swarm's 3 members"),
        ({"members": [{"agentId": "nobody"}]}, "unknown agent 'nobody'"),
        ({"members": [{"agentId": "oracle_core"}]}, "agent oracle_core has no action 'generate'"),
        ({"members": [{"agentId": "scribe_01", "count": 33}]}, "less than or equal to 32"),
        ({"decide": "chance"}, "'vote', 'best' or 'merge'"),
    ],
)
def test_a_swarm_step_that_cannot_run_is_refused_when_saved(
    alice: UserClient, config: dict[str, object], message: str
) -> None:
    [step] = swarm()
    step["config"] = {**step["config"], **config}  # type: ignore[dict-item]

    res = alice.post("/api/workflow", json={"name": "bad swarm", "steps": [step]})

    assert res.status_code == 422
    assert message in res.get_json()["error"]
