"""Run fan-out: how fast many runs started at once are claimed and handed off, and how
soon they have all finished. Hand-offs go through the real google-cloud-pubsub client
to the in-process gRPC fake of Pub/Sub; 8 workers take the messages from it and do
what a ``workflow-run`` instance does with each (``engine.deliver``), so the runs
execute side by side while the claimer is still handing off.

The workers are processes, as ``workflow-run`` instances are in Google Cloud: the
claimer shares no interpreter (and no interpreter lock) with the runs it hands off,
only the machine's cores and the database.

Two shapes, each workflow one condition step that does not hold: one event matching
100 triggers (delivered to the ``event_dispatch`` function; median of 5 events), and a
tick in ``tick`` mode with 10,000 tasks (100 users x 100) due in the same minute
(target: all claimed and handed off in at most 10 s). The runs are measured against
nothing but the target: the hand-off is one INSERT of all a batch's runs and one
publish of all their messages, so there is no smaller unit to compare with."""

from __future__ import annotations

import base64
import json
import multiprocessing
import queue
import statistics
import threading
import time
from datetime import UTC, datetime
from typing import Any

from bench.environment import Environment
from bench.event_dispatch import NOOP_STEPS, cloud_event
from bench.figures import Figure, Outcome, at_most
from bench.progress import Progress

TASKS = 10_000
QUICK_TASKS = 1_000
TRIGGERS = 100
EVENTS = 5
WORKERS = 8
TARGET_SECONDS = 10.0
PROJECT = "segp-bench"
RUNS = f"projects/{PROJECT}/topics/segp-runs"
MINUTE = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


class Workers:
    """The fake bus's push subscription: threads (8 unless told) executing the runs it
    received."""

    def __init__(self, fake: Any, workers: int = WORKERS) -> None:
        self.fake = fake
        self.delivered = 0
        self._lock = threading.Lock()
        self._queue: queue.Queue[Any] = queue.Queue()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._pull, daemon=True)] + [
            threading.Thread(target=self._work, daemon=True) for _ in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(10)

    def _pull(self) -> None:
        while not self._stop.is_set():
            for message in self.fake.publisher.take():
                if message.topic == RUNS:
                    self._queue.put(message)
            self._stop.wait(0.01)

    def _work(self) -> None:
        from shared.workflows.engine import deliver

        while not self._stop.is_set():
            try:
                message = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            data = {"message": {"data": base64.b64encode(message.data).decode()}}
            deliver(data, delivery_id=message.message_id)
            with self._lock:
                self.delivered += 1


class Instances:
    """The fake bus's push subscription delivering to ``workers`` processes, each what
    one ``workflow-run`` instance is: its own interpreter and connection pool, configured
    with ``values`` (the settings, by variable name)."""

    def __init__(self, fake: Any, values: dict[str, Any], workers: int = WORKERS) -> None:
        context = multiprocessing.get_context("spawn")
        self.fake = fake
        self._inbox: Any = context.Queue()
        self._delivered: Any = context.Value("i", 0)
        ready: Any = context.Semaphore(0)
        self._processes = [
            context.Process(
                target=_instance, args=(values, self._inbox, self._delivered, ready), daemon=True
            )
            for _ in range(workers)
        ]
        for process in self._processes:
            process.start()
        for _ in self._processes:
            if not ready.acquire(timeout=120):
                self.stop()
                raise RuntimeError("a worker process did not start in 120 s")
        self._stop = threading.Event()
        self.flowing = threading.Event()  # cleared: the messages wait in the fake bus
        self.flowing.set()
        self._puller = threading.Thread(target=self._pull, daemon=True)
        self._puller.start()

    @property
    def delivered(self) -> int:
        return int(self._delivered.value)

    def _pull(self) -> None:
        while not self._stop.is_set():
            if self.flowing.wait(0.01):
                for message in self.fake.publisher.take():
                    if message.topic == RUNS:
                        self._inbox.put((message.data, message.message_id))
            self._stop.wait(0.01)

    def stop(self) -> None:
        if hasattr(self, "_stop"):
            self._stop.set()
            self._puller.join(10)
        for _ in self._processes:
            self._inbox.put(None)
        for process in self._processes:
            process.join(10)
            if process.is_alive():
                process.terminate()


def _instance(values: dict[str, Any], inbox: Any, delivered: Any, ready: Any) -> None:
    """One worker process: configured like the claimer, then ``engine.deliver`` for each
    message until told to stop (``None``)."""
    from shared import bootstrap
    from shared.config import Settings

    bootstrap.configure(Settings.model_validate(values))
    from shared.workflows.engine import deliver

    ready.release()
    while (item := inbox.get()) is not None:
        data, message_id = item
        deliver({"message": {"data": base64.b64encode(data).decode()}}, delivery_id=message_id)
        with delivered.get_lock():
            delivered.value += 1


def finished(db: Any, trigger_type: str) -> int:
    with db.transaction() as tx:
        return int(
            tx.scalar(
                "SELECT count(*) FROM workflow_runs WHERE trigger_type = %s "
                "AND status NOT IN ('queued', 'running', 'sleeping')",
                (trigger_type,),
            )
        )


def wait_finished(db: Any, trigger_type: str, count: int, began: float) -> float:
    deadline = began + 600
    while finished(db, trigger_type) < count:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{count} {trigger_type} runs did not finish in 600 s")
        time.sleep(0.02)
    return time.perf_counter() - began


def load_fan(db: Any) -> str:
    """One user with 100 workflows, each with a trigger on ``bench.fan``."""
    user = "bench-fan"
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO workflows (user_id, name, steps) "
            "SELECT %s, 'fan ' || g, %s::jsonb FROM generate_series(1, %s::int) g",
            (user, json.dumps(NOOP_STEPS), TRIGGERS),
        )
        tx.execute(
            "INSERT INTO event_triggers (user_id, event_type, workflow_id, name) "
            "SELECT user_id, 'bench.fan', id, 'fan' FROM workflows WHERE user_id = %s",
            (user,),
        )
    return user


def load_tasks(db: Any, count: int) -> None:
    """``count`` tasks over 100 users, every one due at ``MINUTE``."""
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO workflows (user_id, name, steps) "
            "SELECT 'bench-tick-' || lpad(g::text, 3, '0'), 'tick', %s::jsonb "
            "FROM generate_series(0, 99) g",
            (json.dumps(NOOP_STEPS),),
        )
        tx.execute(
            "INSERT INTO scheduled_tasks (user_id, workflow_id, name, cron_expression, "
            "next_run_at, mirror_state) SELECT w.user_id, w.id, 'task ' || g, '* * * * *', %s, "
            "'in_sync' FROM generate_series(1, %s::int) g "
            "JOIN workflows w ON w.user_id = 'bench-tick-' || lpad((g %% 100)::text, 3, '0')",
            (MINUTE, count),
        )
        tx.execute("ANALYZE scheduled_tasks")


def event_fanout(db: Any, progress: Progress) -> tuple[float, float]:
    """(median seconds to claim and hand off, to finish) of one event x 100 triggers."""
    import functions_framework

    from bench.environment import ROOT

    user = load_fan(db)
    client = functions_framework.create_app(  # type: ignore[no-untyped-call]
        target="event_dispatch", source=str(ROOT / "main.py")
    ).test_client()
    handed, done = [], []
    for n in range(EVENTS):
        progress.step("one event x 100 triggers", n + 1, EVENTS)
        headers, body = cloud_event(user, "bench.fan")
        began = time.perf_counter()
        res = client.post("/", headers=headers, data=body)
        handed.append(time.perf_counter() - began)
        if res.status_code >= 300:
            raise RuntimeError(f"event-dispatch answered {res.status_code}: {res.data[:200]!r}")
        done.append(wait_finished(db, "event", TRIGGERS * (n + 1), began))
    return statistics.median(handed), statistics.median(done)


def tick_fanout(
    db: Any, workers: Instances, tasks: int, progress: Progress
) -> tuple[float, float, int]:
    """(seconds to claim and hand off, to finish, runs) of one tick over ``tasks``. The
    workers are held while the tick claims: on this machine they would take the
    claimer's cores, which in Google Cloud are another instance's. Released when the
    tick has handed every run off, they work through the bus's backlog; the time to
    finish counts from the tick's start, so it includes the hand-off."""
    from shared.scheduler.tick import tick

    progress.step(f"loading {tasks:,} due tasks")
    load_tasks(db, tasks)
    progress.step(f"tick over {tasks:,} due tasks")
    workers.flowing.clear()
    began = time.perf_counter()
    result = tick(MINUTE)
    handed = time.perf_counter() - began
    workers.flowing.set()
    fired = sum(1 for t in result["tasks"] if t.get("status") == "fired")
    if fired != tasks:
        raise RuntimeError(f"the tick fired {fired} of {tasks} tasks")
    return handed, wait_finished(db, "scheduled", tasks, began), fired


def run(env: Environment, progress: Progress, quick: bool = False) -> Outcome:
    from tests.support.fake_pubsub import FakePubSub

    outcome = Outcome("run-fanout", "Run fan-out (claimed and handed off, then finished)")
    fake = FakePubSub()
    overrides: dict[str, Any] = {
        "PUBSUB_EMULATOR_HOST": fake.host,
        "EVENTS_PROJECT": PROJECT,
        "EVENT_BUS": "pubsub",
        "RUNS_TOPIC": "segp-runs",
        "SCHEDULER_MODE": "tick",
    }
    settings, db = env.database("run_fanout", **overrides)
    assert settings.database_url is not None
    workers = Instances(fake, env.values(settings.database_url, **overrides, DB_POOL_SIZE=2))
    try:
        event_handed, event_done = event_fanout(db, progress)
        tasks = QUICK_TASKS if quick else TASKS
        tick_handed, tick_done, fired = tick_fanout(db, workers, tasks, progress)
    finally:
        workers.stop()
        fake.stop()
    outcome.details = {
        "event": {"triggers": TRIGGERS, "events": EVENTS, "handed_off_s": event_handed},
        "tick": {"tasks": tasks, "fired": fired, "handed_off_s": tick_handed},
        "workers": WORKERS,
        "deliveries": workers.delivered,
    }
    per_run = tick_handed / tasks * 1000
    outcome.figures = [
        Figure("one event x 100 triggers: claimed and handed off", event_handed * 1000, "ms"),
        Figure(f"one event x 100 triggers: finished on {WORKERS} workers", event_done * 1000, "ms"),
        Figure(
            f"tick, {tasks:,} due tasks: claimed and handed off",
            tick_handed,
            "s",
            target=f"<= {TARGET_SECONDS:g} s for 10,000",
            met=at_most(tick_handed * TASKS / tasks, TARGET_SECONDS),
            note=f"{per_run:.2f} ms per run",
        ),
        Figure(f"tick, {tasks:,} due tasks: finished on {WORKERS} workers", tick_done, "s"),
    ]
    return outcome
