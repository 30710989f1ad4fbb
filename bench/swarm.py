"""Swarm steps: members really run side by side, each strategy makes the model calls it
says, and an agent pool's limit holds under load.

Runs and swarm members are handed off through the real google-cloud-pubsub client to
the in-process gRPC fake of Pub/Sub, and workers take the messages from it and do what
``workflow-run`` instances do (``engine.deliver``), as the local bus does under ``segp
serve`` with ``LOCAL_RUN_WORKERS``. The model is the fake Gemini server, answering every
``generateContent`` after ``D`` (embeddings at once), through the real google-genai SDK.

- A swarm of 8 ``scribe_01`` members on 8 workers, once per strategy: the wall time
  from the start of the run to its end, against ``1.5 * D`` plus the engine's own
  overhead (the same vote with ``D = 0``, measured in the same run), and the model calls
  (8 for ``vote``, 8 + 8 critiques for ``best``, 8 + 8 + 1 judge + 1 critique for
  ``merge``).
- 100 swarm calls at once (100 runs of a one-member swarm, started together as an event
  matching 100 triggers would) against ``AGENT_POOL_LIMIT`` 10 on 32 workers: the most
  model calls in flight at once (target: at most 10) and how many ended (target: 100).
- The same with 100 runs of one ordinary ``agent`` step (its call, then the Evolver's
  critique, under one slot): the steps beyond the pool sleep waiting for a slot and are
  handed off again as slots free, without the per-minute job."""

from __future__ import annotations

import json
import time
from typing import Any

from bench.environment import Environment
from bench.figures import Figure, Outcome, at_most
from bench.progress import Progress
from bench.run_fanout import PROJECT, Workers

MEMBERS = 8
DELAY = 0.5
QUICK_DELAY = 0.2
CALLS = 100
QUICK_CALLS = 30
POOL_LIMIT = 10
POOL_WORKERS = 32
STRATEGY_CALLS = {"vote": MEMBERS, "best": 2 * MEMBERS, "merge": 2 * MEMBERS + 2}


def swarm_steps(count: int, decide: str) -> list[dict[str, Any]]:
    config = {
        "members": [{"agentId": "scribe_01", "count": count}],
        "action": "generate",
        "config": {"topic": "{{input.topic}}"},
        "decide": decide,
        "quorum": 1,
        "timeoutSeconds": 600,
        "voteKey": "title",
    }
    return [{"id": "crowd", "type": "swarm", "retries": 0, "config": config}]


def workflow(db: Any, user: str, steps: list[dict[str, Any]]) -> str:
    with db.transaction() as tx:
        return str(
            tx.scalar(
                "INSERT INTO workflows (user_id, name, steps) VALUES (%s, 'swarm', %s::jsonb) "
                "RETURNING id",
                (user, json.dumps(steps)),
            )
        )


def wait_ended(db: Any, run_ids: list[str], began: float) -> float:
    deadline = began + 600
    while True:
        with db.transaction() as tx:
            left = tx.scalar(
                "SELECT count(*) FROM workflow_runs WHERE id = ANY(%s::uuid[]) "
                "AND status IN ('queued', 'running', 'sleeping', 'waiting')",
                (run_ids,),
            )
        if not left:
            return time.perf_counter() - began
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{left} swarm runs did not end in 600 s")
        time.sleep(0.01)


def one_swarm(db: Any, model: Any, decide: str) -> tuple[float, int, dict[str, Any]]:
    """(wall seconds, generateContent requests, the swarm's output) of one run."""
    from shared.workflows import engine

    wid = workflow(db, "bench-swarm", swarm_steps(MEMBERS, decide))
    model.reset()
    began = time.perf_counter()
    run = engine.start(wid, "bench-swarm", {}, "manual", input={"topic": "tea"}).run
    wall = wait_ended(db, [str(run["id"])], began)
    with db.transaction() as tx:
        ended = tx.one("SELECT status, step_results FROM workflow_runs WHERE id = %s", (run["id"],))
    assert ended is not None
    if ended["status"] != "succeeded":
        raise RuntimeError(f"the {decide} swarm ended {ended['status']}: {ended['step_results']}")
    return wall, len(model.of("generateContent")), ended["step_results"][0]["output"]


def strategies(
    db: Any, model: Any, delay: float, progress: Progress
) -> tuple[float, dict[str, tuple[float, int]]]:
    model.generate_latency = 0.0
    progress.step("vote, the model answering at once: warming up, then the engine's overhead")
    one_swarm(db, model, "vote")  # the first pays for the SDK's import and clients
    overhead, _, _ = one_swarm(db, model, "vote")
    model.generate_latency = delay
    measured = {}
    for decide in STRATEGY_CALLS:
        progress.step(f"{decide}: {MEMBERS} members, the model answering after {delay:g} s")
        wall, calls, _output = one_swarm(db, model, decide)
        measured[decide] = (wall, calls)
    return overhead, measured


AGENT_STEP = [{"id": "draft", "type": "agent", "agentId": "scribe_01", "action": "generate",
               "retries": 0, "config": {"topic": "{{input.topic}}"}}]  # fmt: skip


def pool_load(
    db: Any, model: Any, calls: int, progress: Progress, steps: list[dict[str, Any]], what: str
) -> tuple[float, int, int, int]:
    """(wall seconds, runs succeeded, most model calls in flight, most slots held) of
    ``calls`` runs of ``steps`` started at once."""
    import threading

    from shared.swarm import pools
    from shared.workflows import engine, runs

    wids = [workflow(db, "bench-pool", steps) for _ in range(calls)]
    model.reset()
    most_slots = 0
    done = threading.Event()

    def watch() -> None:
        nonlocal most_slots
        while not done.is_set():
            most_slots = max(most_slots, pools.in_use("scribe_01"))
            done.wait(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    progress.step(f"{calls} {what} at once, pool limit {POOL_LIMIT}")
    began = time.perf_counter()
    requests = [runs.Request(w, "bench-pool", "manual", {}, {"topic": "tea"}) for w in wids]
    started = engine.start_many(requests)
    run_ids = [str(s.run["id"]) for s in started if isinstance(s, engine.Started)]
    wall = wait_ended(db, run_ids, began)
    done.set()
    watcher.join(5)
    with db.transaction() as tx:
        succeeded = int(
            tx.scalar(
                "SELECT count(*) FROM workflow_runs WHERE id = ANY(%s::uuid[]) "
                "AND status = 'succeeded'",
                (run_ids,),
            )
        )
    return wall, succeeded, model.most_generating, most_slots


def run(env: Environment, progress: Progress, quick: bool = False) -> Outcome:
    from tests.support.fake_gemini import FakeGemini
    from tests.support.fake_pubsub import FakePubSub

    outcome = Outcome("swarm", "Swarm steps: parallel members, model calls, pool limits")
    delay = QUICK_DELAY if quick else DELAY
    calls = QUICK_CALLS if quick else CALLS
    fake, model = FakePubSub(), FakeGemini().start()
    bus = {
        "PUBSUB_EMULATOR_HOST": fake.host,
        "EVENTS_PROJECT": PROJECT,
        "EVENT_BUS": "pubsub",
        "RUNS_TOPIC": "segp-runs",
        "AGENT_POOL_LIMIT": POOL_LIMIT,
        "AGENT_POOL_USER_LIMIT": POOL_LIMIT,
        "DB_POOL_SIZE": POOL_WORKERS + 8,
        **model.env(MODEL_MAX_ATTEMPTS=1, MODEL_TIMEOUT_SECONDS=30),
    }
    _settings, db = env.database("swarm", **bus)
    workers = Workers(fake, MEMBERS)
    try:
        overhead, measured = strategies(db, model, delay, progress)
    finally:
        workers.stop()
    workers = Workers(fake, POOL_WORKERS)
    model.generate_latency = 0.05
    try:
        swarm_load = pool_load(db, model, calls, progress, swarm_steps(1, "vote"), "swarm calls")
        step_load = pool_load(db, model, calls, progress, AGENT_STEP, "agent steps")
    finally:
        workers.stop()
        fake.stop()
        model.close()
    vote_wall = measured["vote"][0]
    limit = 1.5 * delay + overhead
    outcome.details = {
        "delay_s": delay,
        "overhead_s": overhead,
        "strategies": {k: {"wall_s": w, "model_calls": c} for k, (w, c) in measured.items()},
        "pool": _pool_details(calls, swarm_load),
        "agent_step_pool": _pool_details(calls, step_load),
    }
    outcome.figures = [
        Figure("vote of 8, model at once: the engine's overhead (baseline)", overhead, "s"),
        Figure(
            f"vote of 8, model after {delay:g} s: wall time",
            vote_wall,
            "s",
            baseline=overhead,
            target=f"<= 1.5 x {delay:g} s + overhead = {limit:.2f} s",
            met=at_most(vote_wall, limit),
            note=f"{vote_wall / delay:.2f} x D",
        ),
    ]
    rounds = {"vote": 1, "best": 2, "merge": 4}
    for decide, expected in STRATEGY_CALLS.items():
        wall, count = measured[decide]
        outcome.figures.append(
            Figure(
                f"{decide} of 8: model calls",
                count,
                "",
                target=f"{expected}",
                met=count == expected,
                note=f"wall {wall:.2f} s for {rounds[decide]} round(s) of the model",
            )
        )
    outcome.figures += _pool_figures(calls, "swarm calls", swarm_load)
    outcome.figures += _pool_figures(calls, "agent steps", step_load)
    return outcome


def _pool_details(calls: int, load: tuple[float, int, int, int]) -> dict[str, Any]:
    wall, succeeded, most_calls, most_slots = load
    return {
        "calls": calls,
        "limit": POOL_LIMIT,
        "workers": POOL_WORKERS,
        "wall_s": wall,
        "succeeded": succeeded,
        "most_model_calls_in_flight": most_calls,
        "most_slots_held": most_slots,
    }


def _pool_figures(calls: int, what: str, load: tuple[float, int, int, int]) -> list[Figure]:
    wall, succeeded, most_calls, most_slots = load
    return [
        Figure(
            f"{calls} {what}, pool limit {POOL_LIMIT}: most model calls in flight",
            most_calls,
            "",
            target=f"<= {POOL_LIMIT}",
            met=most_calls <= POOL_LIMIT,
            note=f"most slots held {most_slots}; {POOL_WORKERS} workers",
        ),
        Figure(
            f"{calls} {what}, pool limit {POOL_LIMIT}: ended succeeded",
            succeeded,
            "",
            target=f"{calls} (none lost)",
            met=succeeded == calls,
            note=f"wall {wall:.2f} s, model after 50 ms",
        ),
    ]
