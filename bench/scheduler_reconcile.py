"""Scheduler reconcile: Cloud Scheduler write calls and wall time of a reconcile over
10,000 scheduled tasks, against the in-process gRPC fake of the Cloud Scheduler API
through the real google-cloud-scheduler client (pages of 500 jobs, the API's maximum).

Measured when every job already matches its task (target: no write call, at most 2 s)
and after 1 % drift made behind the table's back (a third of the drifted jobs with a
changed schedule, a third deleted, a third with the pause state flipped): the writes
must be exactly what the drift needs, and a second reconcile must find nothing to do.
The baseline is the floor of any reconcile: listing every job once."""

from __future__ import annotations

import random
import time
from typing import Any

from bench.environment import Environment
from bench.figures import Figure, Outcome, at_most
from bench.progress import Progress

TASKS = 10_000
DRIFT = 0.01
TARGET_SECONDS = 2.0
PROJECT, LOCATION = "segp-bench", "europe-west1"


def load_tasks(db: Any, count: int) -> None:
    """``count`` tasks over 1,000 users, a tenth of them paused, a spread of crons."""
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO workflows (user_id, name, steps) "
            "SELECT 'bench-user-' || lpad(g::text, 4, '0'), 'scheduled', '[]'::jsonb "
            "FROM generate_series(0, 999) g"
        )
        tx.execute(
            "INSERT INTO scheduled_tasks (user_id, workflow_id, name, cron_expression, timezone, "
            "is_active) SELECT w.user_id, w.id, 'task ' || g, (g %% 60) || ' ' || (g %% 24) || "
            "' * * *', CASE WHEN g %% 3 = 0 THEN 'Europe/Berlin' ELSE 'UTC' END, g %% 10 <> 0 "
            "FROM generate_series(1, %s::int) g "
            "JOIN workflows w ON w.user_id = 'bench-user-' || lpad((g %% 1000)::text, 4, '0')",
            (count,),
        )
        tx.execute("ANALYZE scheduled_tasks")


def drift(fake: Any, share: float, rng: random.Random) -> dict[str, int]:
    """Change ``share`` of the fake's jobs behind the table's back."""
    from google.cloud.scheduler_v1 import types as T

    with fake._lock:
        names = sorted(fake.jobs)
        picked = rng.sample(names, max(3, round(len(names) * share)))
        third = len(picked) // 3
        for name in picked[:third]:
            fake.jobs[name].schedule = "0 0 1 1 *"
        for name in picked[third : 2 * third]:
            del fake.jobs[name]
        for name in picked[2 * third :]:
            job = fake.jobs[name]
            job.state = (
                T.Job.State.ENABLED if job.state == T.Job.State.PAUSED else T.Job.State.PAUSED
            )
    return {
        "schedule_changed": third,
        "deleted": third,
        "pause_flipped": len(picked) - 2 * third,
        "expected_writes_at_least": len(picked),
    }


def _timed(fn: Any) -> tuple[Any, float]:
    began = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - began


def run(env: Environment, progress: Progress, quick: bool = False) -> Outcome:
    from shared.scheduler.cloud_scheduler import get_mirror
    from shared.scheduler.sync import reconcile
    from tests.support.fake_scheduler import FakeCloudScheduler

    outcome = Outcome("scheduler-reconcile", "Scheduler reconcile (10,000 tasks)")
    tasks = TASKS // 10 if quick else TASKS
    fake = FakeCloudScheduler(page_size=500)
    address = fake.start()
    try:
        _settings, db = env.database(
            "scheduler_reconcile",
            SCHEDULER_PROJECT=PROJECT,
            SCHEDULER_LOCATION=LOCATION,
            SCHEDULE_FIRE_URL="https://fire.example.test/schedule-fire",
            SCHEDULER_SERVICE_ACCOUNT="scheduler@segp-bench.iam.gserviceaccount.com",
            SCHEDULER_EMULATOR_HOST=address,
            SCHEDULER_API_TIMEOUT_SECONDS=60,
        )
        progress.step(f"loading {tasks:,} tasks")
        load_tasks(db, tasks)

        def report(done: int, total: int) -> None:
            if done % 100 == 0 or done == total:
                progress.step("first reconcile (creates every job)", done, total)

        first, first_s = _timed(lambda: reconcile(progress=report))
        if first.failed or len(fake.jobs) != tasks:
            raise RuntimeError(f"first reconcile left {len(fake.jobs)} jobs, failed {first.failed}")
        progress.step("listing every job (baseline)")
        mirror = get_mirror()
        assert mirror is not None
        listed, list_s = _timed(mirror.list_jobs)
        if len(listed) != tasks:
            raise RuntimeError(f"listed {len(listed)} jobs, expected {tasks}")

        progress.step("reconcile in sync")
        fake.calls.clear()
        synced, sync_s = _timed(reconcile)
        sync_writes = len(fake.writes())
        sync_reads = len(fake.calls)

        progress.step("reconcile after 1 % drift")
        made = drift(fake, DRIFT, random.Random(5))
        fake.calls.clear()
        fixed, drift_s = _timed(reconcile)
        drift_writes = len(fake.writes())
        fake.calls.clear()
        _timed(reconcile)
        after_writes = len(fake.writes())
    finally:
        fake.stop()
    needed = made["expected_writes_at_least"]
    outcome.details = {
        "tasks": tasks,
        "first_reconcile": {"seconds": round(first_s, 2), "writes": first.writes},
        "list_all_jobs_seconds": round(list_s, 3),
        "in_sync": {"seconds": round(sync_s, 3), "writes": sync_writes, "read_calls": sync_reads},
        "drift": {
            **made,
            "seconds": round(drift_s, 3),
            "writes": drift_writes,
            "summary": fixed.as_dict()["summary"],
        },
        "after_drift_second_reconcile_writes": after_writes,
    }
    outcome.figures = [
        Figure("list every job (baseline)", list_s, "s"),
        Figure(
            f"in sync: write calls ({tasks:,} tasks)",
            sync_writes,
            "",
            target="0",
            met=sync_writes == 0 and synced.writes == 0,
            note=f"{sync_reads} read calls",
        ),
        Figure(
            "in sync: reconcile time",
            sync_s,
            "s",
            target=f"<= {TARGET_SECONDS:g} s",
            met=at_most(sync_s, TARGET_SECONDS),
            baseline=list_s,
            note=f"{sync_s / list_s:.1f}x the listing alone",
        ),
        Figure(
            "1 % drift: write calls",
            drift_writes,
            "",
            target=f"what the drift needs ({needed}..{needed + made['deleted']})",
            met=needed <= drift_writes <= needed + made["deleted"] and after_writes == 0,
            note=f"then 0 expected on the next reconcile: {after_writes}",
        ),
        Figure("1 % drift: reconcile time", drift_s, "s", baseline=list_s),
    ]
    return outcome
