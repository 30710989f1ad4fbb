"""Resume cost: the time from the moment a dead executor's lease is found expired to
the resumed run's next step starting, through the path the per-minute job and a
redelivery take (``engine.resume``: the conditional take-over, reading the run's
checkpoint, rendering the next step). 200 runs, each two condition steps with the first
committed and the executor gone, resumed one after the other.

When that moment comes is the per-minute job's cadence: a run is resumed at most
``WORKFLOW_RUN_LEASE_SECONDS`` plus a minute after its executor died (sooner by a
redelivery of what started it). The figure is what resuming itself costs on top; the
baseline is one conditional ``UPDATE`` + ``COMMIT`` of a run row, the floor of any
take-over."""

from __future__ import annotations

import json
import statistics
import time
from datetime import datetime
from typing import Any

from bench.environment import Environment
from bench.figures import Figure, Outcome, at_most, percentile
from bench.progress import Progress

RUNS = 200
QUICK_RUNS = 50
TARGET_MS = 50.0
STEPS = [
    {"id": "first", "type": "condition", "config": {"subject": {}, "conditions": {}}},
    {"id": "next", "type": "condition", "config": {"subject": {}, "conditions": {}}},
]
COMMITTED = {
    "id": "first",
    "type": "condition",
    "status": "succeeded",
    "matched": True,
    "output": True,
    "startedAt": "2026-11-27T09:00:00+00:00",
    "durationMs": 1.0,
}


def load_dead_runs(db: Any, count: int) -> list[str]:
    """``count`` running runs whose executor died after the first step's checkpoint."""
    with db.transaction() as tx:
        workflow = tx.scalar(
            "INSERT INTO workflows (user_id, name, steps) VALUES ('bench-resume', 'r', %s::jsonb) "
            "RETURNING id",
            (json.dumps(STEPS),),
        )
        rows = tx.all(
            "INSERT INTO workflow_runs (workflow_id, user_id, trigger_type, status, "
            "step_results, definition, lease_owner, lease_until) "
            "SELECT %s, 'bench-resume', 'manual', 'running', %s::jsonb, %s::jsonb, 'dead', "
            "now() - interval '1 second' FROM generate_series(1, %s::int) RETURNING id",
            (workflow, json.dumps([COMMITTED]), json.dumps(STEPS), count),
        )
    return [str(r["id"]) for r in rows]


def resume_ms(run_id: str) -> float:
    from shared.workflows.engine import resume

    began = time.time()
    run = resume(run_id)
    if run is None or run["status"] != "succeeded":
        raise RuntimeError(f"run {run_id} was not resumed to success: {run}")
    started = datetime.fromisoformat(run["step_results"][1]["startedAt"]).timestamp()
    return (started - began) * 1000


def baseline_ms(db: Any, run_ids: list[str]) -> float:
    """Median of one conditional UPDATE + COMMIT of a run row."""
    times = []
    for run_id in run_ids:
        began = time.perf_counter()
        with db.transaction() as tx:
            tx.execute(
                "UPDATE workflow_runs SET lease_owner = 'bench' WHERE id = %s "
                "AND status = 'succeeded' AND (lease_until IS NULL OR lease_until < now())",
                (run_id,),
            )
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def run(env: Environment, progress: Progress, quick: bool = False) -> Outcome:
    outcome = Outcome("run-resume", "Resume cost (expired lease to the next step)")
    _settings, db = env.database("run_resume")
    count = QUICK_RUNS if quick else RUNS
    run_ids = load_dead_runs(db, count)
    times = []
    for n, run_id in enumerate(run_ids):
        times.append(resume_ms(run_id))
        progress.step("resuming", n + 1, count)
    base = baseline_ms(db, run_ids)
    median, p95 = statistics.median(times), percentile(times, 0.95)
    outcome.details = {"runs": count, "median_ms": median, "p95_ms": p95, "baseline_ms": base}
    outcome.figures = [
        Figure("conditional UPDATE + COMMIT (baseline)", base, "ms"),
        Figure(
            "resume: expired lease to the next step's start",
            median,
            "ms",
            baseline=base,
            target=f"<= {TARGET_MS:g} ms",
            met=at_most(median, TARGET_MS),
            note=f"p95 {p95:.1f} ms; found expired by the per-minute job (or a redelivery)",
        ),
    ]
    return outcome
