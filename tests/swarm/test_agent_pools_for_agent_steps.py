"""A workflow's ordinary agent steps take slots of the same agent pools as swarm
members. A step that finds its pool full does not fail and holds no process: its run
sleeps at the step, waiting for a slot, and is woken (handed off again) when one frees,
or by the per-minute job when the pool has room again. Runs are handed off on the fake
Pub/Sub and delivered by workers here, as ``workflow-run`` instances would; the fake
Gemini holds every reply a while so that calls overlap. Here the installation has 3
slots of scribe_01 and each user 2 of them."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

import pytest

from shared import bootstrap
from shared.config import Settings
from shared.db import Database
from shared.swarm import pools
from tests.conftest import UserClient, function_client
from tests.events.helpers import make_workflow
from tests.support.fake_gemini import FakeGemini
from tests.support.fake_pubsub import FakePubSub
from tests.swarm.conftest import handed_off
from tests.workflows.test_handoff import hand_over, run_messages

AGENT = "scribe_01"
LIMIT, USER_LIMIT = 3, 2
ONE_STEP = [{"id": "draft", "type": "agent", "agentId": AGENT, "action": "generate",
             "retries": 0, "config": {"topic": "{{input.topic}}"}}]  # fmt: skip


@pytest.fixture(scope="module")
def settings(db_url: str, fake_pubsub: FakePubSub, fake_gemini_server: FakeGemini) -> Settings:
    s = handed_off(
        db_url,
        fake_pubsub,
        fake_gemini_server,
        AGENT_POOL_LIMIT=LIMIT,
        AGENT_POOL_USER_LIMIT=USER_LIMIT,
        DB_POOL_SIZE=24,
    )
    bootstrap.configure(s)
    return s


@pytest.fixture
def held(settings: Settings) -> Iterator[list[str]]:
    """Slots taken by the test as calls elsewhere would; given back after it."""
    holders: list[str] = []
    yield holders
    for holder in holders:
        pools.release(holder)


def hold(held: list[str], user: str, *, seconds: int = 600) -> None:
    holder = f"elsewhere-{len(held)}-{user}"
    assert pools.acquire(AGENT, user, holder, seconds)
    held.append(holder)


def start(user: UserClient, bus: FakePubSub, count: int = 1) -> list[str]:
    """Start ``count`` runs of a one-agent-step workflow; their ids (queued, handed off)."""
    wid = make_workflow(user, ONE_STEP)
    ids = []
    for _ in range(count):
        res = user.post(f"/api/workflow/{wid}/run", json={"input": {"topic": "tea"}})
        assert res.status_code == 202, res.get_json()
        ids.append(res.get_json()["run"]["id"])
    return ids


def drain(bus: FakePubSub, runner: Any, workers: int = 8) -> int:
    """Deliver every message on the runs topic, concurrently, including those the
    deliveries publish, until none is left and none is in flight; how many."""
    delivered = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        in_flight: set[Future[Any]] = set()
        while True:
            for message in run_messages(bus):
                in_flight.add(pool.submit(hand_over, runner, message))
                delivered += 1
            if not in_flight:
                return delivered
            done, in_flight = wait(in_flight, timeout=0.05, return_when=FIRST_COMPLETED)
            for future in done:
                future.result()


def status(db: Database, run_id: str) -> dict[str, Any]:
    with db.transaction() as tx:
        row = tx.one(
            "SELECT status, step_results, slot_agent_id FROM workflow_runs WHERE id = %s",
            (run_id,),
        )
    assert row is not None
    return row


class SlotWatch:
    """The most slots of the agent held at once, in all and per user, sampled."""

    def __init__(self, db: Database) -> None:
        self.db, self.most, self.most_of = db, 0, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> SlotWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join(5)

    def _watch(self) -> None:
        while not self._done.is_set():
            with self.db.transaction() as tx:
                rows = tx.all(
                    "SELECT user_id, count(*) AS n FROM agent_pool_slots WHERE agent_id = %s "
                    "AND expires_at >= now() GROUP BY user_id",
                    (AGENT,),
                )
            self.most = max(self.most, sum(r["n"] for r in rows))
            self.most_of = max([self.most_of, *(r["n"] for r in rows)])
            self._done.wait(0.002)


def test_agent_steps_beyond_the_pool_wait_and_all_complete_never_holding_more_slots(
    db: Database,
    alice: UserClient,
    bob: UserClient,
    published: FakePubSub,
    runner: Any,
    slow_model: FakeGemini,
) -> None:
    run_ids = start(alice, published, 5) + start(bob, published, 5)

    with SlotWatch(db) as watch:
        delivered = drain(published, runner)

    ended = [status(db, run_id) for run_id in run_ids]
    assert [r["status"] for r in ended] == ["succeeded"] * 10, ended
    assert all(r["slot_agent_id"] is None for r in ended)
    assert delivered > 10  # some waited, and were handed off again when a slot freed
    assert slow_model.most_generating <= LIMIT
    assert watch.most <= LIMIT and watch.most_of <= USER_LIMIT
    assert pools.in_use(AGENT) == 0
    drafts = [r for r in slow_model.of("generateContent") if "tea" in json.dumps(r.body)]
    assert len(drafts) >= 10  # each step called its agent (then the Evolver critiqued it)


def test_a_step_finding_its_pool_full_sleeps_waiting_and_the_per_minute_job_wakes_it(
    db: Database, alice: UserClient, published: FakePubSub, runner: Any, held: list[str]
) -> None:
    for user in ("carol", "dave", "erin"):
        hold(held, user)  # the installation's 3 slots, in use elsewhere
    [run_id] = start(alice, published)
    drain(published, runner)

    run = alice.get(f"/api/workflow/run/{run_id}").get_json()
    assert run["status"] == "sleeping"
    [record] = run["step_results"]
    assert record["status"] == "waiting"
    assert record["waitingForSlot"] == {"agentId": AGENT}
    assert status(db, run_id)["slot_agent_id"] == AGENT
    minute = function_client("schedule_fire")
    assert minute.post("/", json={"tick": True}).get_json()["agentStepsWoken"] == 0

    pools.release(held.pop())  # a call elsewhere ended, without passing its slot on
    assert minute.post("/", json={"tick": True}).get_json()["agentStepsWoken"] == 1
    drain(published, runner)

    assert status(db, run_id)["status"] == "succeeded"
    assert status(db, run_id)["slot_agent_id"] is None


def test_the_slot_of_a_holder_that_died_is_reclaimed(
    db: Database, alice: UserClient, published: FakePubSub, runner: Any, held: list[str]
) -> None:
    for user in ("carol", "dave", "erin"):
        hold(held, user, seconds=0)  # their processes died: the slots expired

    [run_id] = start(alice, published)
    drain(published, runner)

    assert status(db, run_id)["status"] == "succeeded"
    assert pools.in_use(AGENT) == 0


def test_a_failed_agent_call_gives_its_slot_back(
    db: Database, alice: UserClient, published: FakePubSub, runner: Any, fake_gemini: FakeGemini
) -> None:
    fake_gemini.script_reply(
        {"error": {"code": 400, "message": "refused", "status": "INVALID_ARGUMENT"}}, status=400
    )
    [run_id] = start(alice, published)
    drain(published, runner)

    assert status(db, run_id)["status"] == "failed"
    assert pools.in_use(AGENT) == 0


def test_one_users_share_full_never_holds_back_another_users_step(
    db: Database,
    alice: UserClient,
    bob: UserClient,
    published: FakePubSub,
    runner: Any,
    held: list[str],
) -> None:
    hold(held, "alice")
    hold(held, "alice")  # alice's whole share, in use elsewhere
    [alices] = start(alice, published)
    [bobs] = start(bob, published)
    drain(published, runner)

    assert status(db, alices)["status"] == "sleeping"
    assert status(db, bobs)["status"] == "succeeded"
