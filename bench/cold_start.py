"""Cold start: how long a fresh interpreter takes to load each deployed function.

Cloud Functions imports ``main.py`` in a new instance and takes the function's entry
point from it by name, before the first request; ``main`` resolves each entry point on
first access, so an instance loads its own function's code only. Measured for each
function: ``import main; main.<entry point>`` in a fresh interpreter (the function's
module and everything it imports), and ``import main`` alone; beside them, without a
target, every entry point resolved in one process (what ``segp serve`` loads). The
baseline is ``import functions_framework`` alone, the floor every function shares.
Runs are interleaved in a shuffled order so drift on a shared machine hits all alike,
and medians are compared. A first untimed round compiles the bytecode."""

from __future__ import annotations

import collections
import os
import random
import statistics
import subprocess
import sys
import time

from bench.environment import ROOT, Environment
from bench.figures import Figure, Outcome, at_most
from bench.progress import Progress

BASELINE = "functions_framework"
RUNS = 15
TARGET = 2.0


def targets() -> dict[str, str]:
    """Label -> the statement a fresh interpreter runs, for every entry point."""
    import main

    loads = {
        f"main.{name} ({module})": f"import main; main.{name}"
        for name, module in main.HANDLERS.items()
    }
    return {
        **loads,
        "import main": "import main",
        EVERYTHING: "import main; " + "; ".join(f"main.{name}" for name in main.HANDLERS),
    }


EVERYTHING = "main, every entry point resolved"


def _env() -> dict[str, str]:
    """The caller's environment without PYTHON* variables that would change imports."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


def import_seconds(statement: str) -> float:
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", statement],
        cwd=ROOT,
        env=_env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - began


def heaviest_imports(statement: str, top: int = 5) -> list[tuple[str, float]]:
    """The top-level packages ``statement`` loads beyond the baseline, by self time (ms)."""

    def loaded(statement: str) -> dict[str, int]:
        run = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", statement],
            cwd=ROOT,
            env=_env(),
            capture_output=True,
            text=True,
            check=True,
        )
        out: dict[str, int] = {}
        for line in run.stderr.splitlines():
            if line.startswith("import time:") and "|" in line:
                self_us, _cumulative, name = line[len("import time:") :].split("|", 2)
                if self_us.strip().isdigit():
                    out[name.strip()] = int(self_us)
        return out

    base = loaded(f"import {BASELINE}")
    extra = loaded(f"import {BASELINE}; {statement}")
    packages: collections.Counter[str] = collections.Counter()
    for name, self_us in extra.items():
        if name not in base:
            parts = name.split(".")
            packages[".".join(parts[:3] if parts[0] == "google" else parts[:1])] += self_us
    return [(name, round(us / 1000, 1)) for name, us in packages.most_common(top)]


def run(env: Environment, progress: Progress, quick: bool = False) -> Outcome:
    outcome = Outcome("cold-start", "Cold start (import time in a fresh interpreter)")
    statements = {BASELINE: f"import {BASELINE}", **targets()}
    runs = 5 if quick else RUNS
    rng = random.Random(7)
    for statement in statements.values():  # compile bytecode; not timed
        import_seconds(statement)
    times: dict[str, list[float]] = {label: [] for label in statements}
    total = runs * len(statements)
    for round_ in range(runs):
        order = list(statements)
        rng.shuffle(order)
        for i, label in enumerate(order):
            times[label].append(import_seconds(statements[label]))
            progress.step("fresh interpreters", round_ * len(statements) + i + 1, total)
    base = statistics.median(times[BASELINE])
    outcome.figures.append(Figure(f"import {BASELINE} (baseline)", base * 1000, "ms"))
    for label, statement in statements.items():
        if label == BASELINE:
            continue
        median = statistics.median(times[label])
        ratio = median / base
        checked = label != EVERYTHING
        note = f"median {median * 1000:.0f} ms"
        if checked and ratio > TARGET:
            progress.step(f"finding what {label} loads")
            heavy = heaviest_imports(statement)
            note += "; heaviest: " + ", ".join(f"{n} {ms:g} ms" for n, ms in heavy)
        if not checked:
            note += "; one process serving every function (segp serve), not an instance"
        outcome.figures.append(
            Figure(
                label,
                ratio,
                "x",
                target=f"<= {TARGET}x" if checked else "",
                met=at_most(ratio, TARGET) if checked else None,
                baseline=base * 1000,
                note=note,
            )
        )
    outcome.details = {
        "runs": runs,
        "statements": statements,
        "median_ms": {k: round(statistics.median(t) * 1000, 1) for k, t in times.items()},
        "min_ms": {k: round(min(t) * 1000, 1) for k, t in times.items()},
    }
    return outcome
