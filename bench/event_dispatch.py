"""Event dispatch: events per second through the ``event-dispatch`` function.

Each event is a real Eventarc CloudEvent (binary mode, the Pub/Sub message envelope
in its data) posted to functions-framework's own app for the ``event_dispatch``
target, against a real database holding 10 triggers per user: one per event type
``bench.e0`` .. ``bench.e9``, so every event matches exactly one trigger and runs one
no-op workflow (a single condition step that does not hold). The baseline is the raw
rate of one ``INSERT`` + ``COMMIT`` per event into the same table, through the same
connection pool, measured in alternating blocks with the handler so that drift on a
shared machine hits both alike. A third rate, a no-op CloudEvent function posted the
same way, is what functions-framework and the test client cost alone: the most any
function could reach here. The curve grows the table from 1k to 10k to 100k
triggers (100, 1,000, 10,000 users) by bulk ``INSERT ... SELECT generate_series``."""

from __future__ import annotations

import base64
import json
import random
import time
import uuid
from pathlib import Path
from typing import Any

from bench.environment import Environment
from bench.figures import Curve, Figure, Outcome, at_least
from bench.progress import Progress

TRIGGERS_PER_USER = 10
SIZES = (100, 1_000, 10_000)  # users; x TRIGGERS_PER_USER triggers
MAIN_USERS = 1_000
EVENTS_MAIN = 1_500
EVENTS_CURVE = 500
BLOCK = 50  # events per alternating block
TARGET = 0.5

NOOP_STEPS = [
    {
        "id": "gate",
        "type": "condition",
        "config": {"subject": "{{trigger.payload}}", "conditions": {"never": {"$exists": True}}},
    }
]


def _user(n: int) -> str:
    return f"bench-user-{n:06d}"


def load_users(db: Any, first: int, last: int) -> None:
    """Users ``first`` .. ``last - 1``: one no-op workflow and 10 triggers each."""
    from shared.workflows.definition import parse_step

    for step in NOOP_STEPS:
        parse_step(step)  # the stored steps are valid workflow steps
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO workflows (user_id, name, steps) "
            "SELECT 'bench-user-' || lpad(g::text, 6, '0'), 'no-op', %s::jsonb "
            "FROM generate_series(%s::int, %s::int) g",
            (json.dumps(NOOP_STEPS), first, last - 1),
        )
        tx.execute(
            "INSERT INTO event_triggers (user_id, event_type, workflow_id, name) "
            "SELECT w.user_id, 'bench.e' || t, w.id, 'bench' FROM workflows w "
            "CROSS JOIN generate_series(0, %s::int) t "
            "WHERE w.user_id >= %s AND w.user_id <= %s",
            (TRIGGERS_PER_USER - 1, _user(first), _user(last - 1)),
        )
    with db.transaction() as tx:
        tx.execute("ANALYZE workflows")
        tx.execute("ANALYZE event_triggers")


def cloud_event(user: str, event_type: str) -> tuple[dict[str, str], bytes]:
    """The headers and body Eventarc posts for one Pub/Sub message (binary mode)."""
    event_id = str(uuid.uuid4())
    envelope = {
        "eventId": event_id,
        "eventType": event_type,
        "userId": user,
        "payload": {"n": 1},
        "depth": 0,
        "occurredAt": "2026-11-27T09:00:00Z",
    }
    data = {
        "message": {
            "data": base64.b64encode(json.dumps(envelope).encode()).decode(),
            "attributes": {"eventType": event_type, "userId": user},
            "messageId": event_id,
            "message_id": event_id,
            "publishTime": "2026-11-27T09:00:00.123Z",
        },
        "subscription": "projects/segp-bench/subscriptions/dispatch",
    }
    headers = {
        "ce-id": event_id,
        "ce-specversion": "1.0",
        "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
        "ce-source": "//pubsub.googleapis.com/projects/segp-bench/topics/segp-events",
        "Content-Type": "application/json",
    }
    return headers, json.dumps(data).encode()


NOOP_FUNCTION = """import functions_framework


@functions_framework.cloud_event
def noop(cloud_event):
    return None
"""


class Runner:
    def __init__(self, db: Any, users: int, rng: random.Random, home: Path) -> None:
        import functions_framework

        from bench.environment import ROOT

        self.db = db
        self.users = users
        self.rng = rng
        app = functions_framework.create_app(  # type: ignore[no-untyped-call]
            target="event_dispatch", source=str(ROOT / "main.py")
        )
        self.client = app.test_client()
        noop = home / "noop_function.py"
        noop.write_text(NOOP_FUNCTION)
        self.noop = functions_framework.create_app(  # type: ignore[no-untyped-call]
            target="noop", source=str(noop)
        ).test_client()

    def _pick(self) -> tuple[str, str]:
        user = _user(self.rng.randrange(self.users))
        return user, f"bench.e{self.rng.randrange(TRIGGERS_PER_USER)}"

    def handler_block(self, count: int, *, noop: bool = False) -> float:
        requests = [cloud_event(*self._pick()) for _ in range(count)]
        client = self.noop if noop else self.client
        began = time.perf_counter()
        for headers, body in requests:
            res = client.post("/", headers=headers, data=body)
            if res.status_code >= 300:
                raise RuntimeError(f"event-dispatch answered {res.status_code}: {res.data[:200]!r}")
        return time.perf_counter() - began

    def baseline_block(self, count: int) -> float:
        rows = [(str(uuid.uuid4()), *self._pick()) for _ in range(count)]
        began = time.perf_counter()
        for event_id, user, event_type in rows:
            with self.db.transaction() as tx:
                tx.execute(
                    "INSERT INTO usage_events (id, user_id, event_type, event_data, "
                    "dispatch_status) VALUES (%s, %s, %s, %s::jsonb, 'dispatched')",
                    (event_id, user, event_type, '{"n": 1}'),
                )
        return time.perf_counter() - began

    def _xid(self) -> int:
        with self.db.transaction() as tx:
            return int(tx.scalar("SELECT txid_current()"))

    def write_transactions_per_event(self, count: int = 20) -> tuple[float, float]:
        """(handler, baseline) transactions that wrote, per event: each one is a WAL
        flush the event waits for. Read from the transaction id counter, which only
        writing transactions (and the probe itself) advance; nothing else writes."""
        first = self._xid()
        self.handler_block(count)
        second = self._xid()
        self.baseline_block(count)
        third = self._xid()
        return (second - first - 1) / count, (third - second - 1) / count

    def measure(self, events: int, progress: Progress, phase: str) -> tuple[float, float, float]:
        """(handler events/s, baseline inserts/s, no-op function events/s), in
        alternating blocks."""
        handler = baseline = noop = 0.0
        done = 0
        self.handler_block(5)  # warm: first request builds the app's caches
        self.handler_block(5, noop=True)
        while done < events:
            n = min(BLOCK, events - done)
            baseline += self.baseline_block(n)
            handler += self.handler_block(n)
            noop += self.handler_block(n, noop=True)
            done += n
            progress.step(phase, done, events)
        return events / handler, events / baseline, events / noop


def check_runs(db: Any, expected_at_least: int) -> int:
    with db.transaction() as tx:
        runs = int(tx.scalar("SELECT count(*) FROM workflow_runs WHERE trigger_type = 'event'"))
    if runs < expected_at_least:
        raise RuntimeError(f"expected {expected_at_least} workflow runs, found {runs}")
    return runs


def run(env: Environment, progress: Progress, quick: bool = False) -> Outcome:
    outcome = Outcome("event-dispatch", "Event dispatch (events/s through event-dispatch)")
    _settings, db = env.database("event_dispatch")
    rng = random.Random(12)
    events_main = EVENTS_MAIN // 4 if quick else EVENTS_MAIN
    events_curve = EVENTS_CURVE // 4 if quick else EVENTS_CURVE
    curve_ratio = Curve("event dispatch vs raw INSERT+COMMIT", "triggers", "ratio to baseline")
    curve_rate = Curve("event dispatch throughput", "triggers", "events/s")
    loaded = 0
    dispatched = 0
    main: tuple[float, float, float] | None = None
    for users in SIZES:
        progress.step(f"loading {users * TRIGGERS_PER_USER:,} triggers")
        load_users(db, loaded, users)
        loaded = users
        runner = Runner(db, users, rng, env.home)
        events = events_main if users == MAIN_USERS else events_curve
        rate, base, noop = runner.measure(
            events, progress, f"{users * TRIGGERS_PER_USER:,} triggers"
        )
        dispatched += events + 5
        check_runs(db, dispatched)
        curve_ratio.points.append((users * TRIGGERS_PER_USER, rate / base))
        curve_rate.points.append((users * TRIGGERS_PER_USER, rate))
        outcome.details[f"triggers_{users * TRIGGERS_PER_USER}"] = {
            "events": events,
            "events_per_s": round(rate, 1),
            "baseline_inserts_per_s": round(base, 1),
            "ratio": round(rate / base, 3),
            "noop_function_events_per_s": round(noop, 1),
        }
        if users == MAIN_USERS:
            main = (rate, base, noop)
    assert main is not None
    rate, base, noop = main
    handler_writes, baseline_writes = runner.write_transactions_per_event()
    outcome.details["write_transactions_per_event"] = {
        "handler": handler_writes,
        "baseline": baseline_writes,
    }
    outcome.figures = [
        Figure("raw INSERT+COMMIT (baseline)", base, "ops/s"),
        Figure(
            "no-op CloudEvent function (framework and client alone)",
            noop,
            "events/s",
            baseline=base,
            note=f"{1000 / noop:.2f} ms a request, {noop / base:.2f}x the baseline",
        ),
        Figure(
            "event-dispatch, 1,000 users x 10 triggers",
            rate,
            "events/s",
            baseline=base,
            note=(
                f"{1000 / rate:.2f} ms an event: {1000 / rate - 1000 / noop:.2f} ms beyond "
                f"the no-op function, against {1000 / base:.2f} ms for the baseline"
            ),
        ),
        Figure(
            "event-dispatch / baseline",
            rate / base,
            "x",
            target=f">= {TARGET}x",
            met=at_least(rate / base, TARGET),
            note=(
                f"{handler_writes:g} committed write transactions per event "
                f"(baseline {baseline_writes:g}), each waiting for a WAL flush"
            ),
        ),
    ]
    outcome.curves = [curve_ratio, curve_rate]
    return outcome
