"""Agent pools with swarm members handed off: a member that finds its agent's pool (or
its user's share of it) full goes back to queued and acknowledges its delivery; it is
handed off again when a slot frees (by the member that frees it, or by the per-minute
job), so a full pool queues calls instead of failing them. Here each user may hold one
slot of scribe_01 at a time; a slot held by "another call" is taken by the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared import bootstrap
from shared.config import Settings
from shared.swarm import pools, queueing
from tests.conftest import UserClient
from tests.support.fake_gemini import FakeGemini
from tests.support.fake_pubsub import FakePubSub
from tests.swarm.conftest import Swarming, draft, handed_off, swarm, swarm_record
from tests.workflows.test_handoff import run_messages

AGENT = "scribe_01"


@pytest.fixture(scope="module")
def settings(db_url: str, fake_pubsub: FakePubSub, fake_gemini_server: FakeGemini) -> Settings:
    s = handed_off(
        db_url, fake_pubsub, fake_gemini_server, AGENT_POOL_LIMIT=3, AGENT_POOL_USER_LIMIT=1
    )
    bootstrap.configure(s)
    return s


@pytest.fixture
def elsewhere(settings: Settings) -> Iterator[str]:
    """Alice's one slot of scribe_01, held by a call of hers somewhere else."""
    holder = "another-call"
    assert pools.acquire(AGENT, "alice", holder, 600)
    yield holder
    pools.release(holder)


def statuses(swarming: Swarming, run_id: str) -> list[str]:
    return [m["status"] for m in swarm_record(swarming.run(run_id))["members"]]


def test_members_beyond_the_users_share_wait_queued_and_run_once_a_slot_frees(
    swarming: Swarming, elsewhere: str
) -> None:
    run_id, members = swarming.launch(swarm(count=2))
    swarming.deliver(*members)
    assert statuses(swarming, run_id) == ["queued", "queued"]
    assert swarming.calls() == 0

    pools.release(elsewhere)
    assert queueing.requeue_members() == 2  # the per-minute job hands both off again
    [first, second] = sorted(run_messages(swarming.bus), key=lambda m: m.attributes["member"])
    swarming.model.script_json(draft("Alpha"), times=2)
    swarming.deliver(first)
    assert statuses(swarming, run_id) == ["succeeded", "queued"]
    [passed_on] = run_messages(swarming.bus)  # the freed slot went to the member waiting
    assert passed_on.attributes["member"] == "1"
    swarming.deliver(second, passed_on)

    run = swarming.run(run_id)
    assert run["status"] == "succeeded", run
    assert [m["attempts"] for m in swarm_record(run)["output"]["members"]] == [1, 1]
    assert swarming.calls() == 2
    assert pools.in_use(AGENT) == 0


def test_one_users_load_never_counts_against_another_users_share(
    swarming: Swarming, bob: UserClient, elsewhere: str
) -> None:
    alice_run, alice_members = swarming.launch(swarm(count=1, quorum=1))
    bobs = Swarming(bob, swarming.bus, swarming.runner, swarming.model)
    bob_run, bob_members = bobs.launch(swarm(count=1, quorum=1))

    swarming.deliver(*alice_members, *bob_members)

    assert statuses(swarming, alice_run) == ["queued"]
    assert bobs.run(bob_run)["status"] == "succeeded"
