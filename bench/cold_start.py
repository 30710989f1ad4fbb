"""Cold start: how long a fresh interpreter takes to import each deployed function.

Cloud Functions imports ``main.py`` (every function's module) in a new instance before
the first request, so import time is paid on every cold start. Each function module
named in ``main.py`` and ``main`` itself are imported in fresh interpreters, and so is
``functions_framework`` alone (the floor every function shares); runs are interleaved
in a shuffled order so drift on a shared machine hits all alike, and the median of
each is compared with the baseline's. A first untimed round compiles the bytecode."""

from __future__ import annotations

import ast
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


def function_modules() -> list[str]:
    """The ``functions.*`` modules ``main.py`` re-exports, then ``main``."""
    tree = ast.parse((ROOT / "main.py").read_text())
    found = [
        node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("functions.")
    ]
    return [m for m in found if m is not None] + ["main"]


def _env() -> dict[str, str]:
    """The caller's environment without PYTHON* variables that would change imports."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


def import_seconds(module: str) -> float:
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=ROOT,
        env=_env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - began


def heaviest_imports(module: str, top: int = 5) -> list[tuple[str, float]]:
    """The top-level packages ``module`` loads beyond the baseline, by self time (ms)."""

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
    extra = loaded(f"import {BASELINE}; import {module}")
    packages: collections.Counter[str] = collections.Counter()
    for name, self_us in extra.items():
        if name not in base:
            parts = name.split(".")
            packages[".".join(parts[:3] if parts[0] == "google" else parts[:1])] += self_us
    return [(name, round(us / 1000, 1)) for name, us in packages.most_common(top)]


def run(env: Environment, progress: Progress, quick: bool = False) -> Outcome:
    outcome = Outcome("cold-start", "Cold start (import time in a fresh interpreter)")
    modules = function_modules()
    everything = [BASELINE, *modules]
    runs = 5 if quick else RUNS
    rng = random.Random(7)
    for module in everything:  # compile bytecode; not timed
        import_seconds(module)
    times: dict[str, list[float]] = {m: [] for m in everything}
    total = runs * len(everything)
    for round_ in range(runs):
        order = everything[:]
        rng.shuffle(order)
        for i, module in enumerate(order):
            times[module].append(import_seconds(module))
            progress.step("fresh interpreters", round_ * len(everything) + i + 1, total)
    base = statistics.median(times[BASELINE])
    outcome.figures.append(Figure(f"import {BASELINE} (baseline)", base * 1000, "ms"))
    for module in modules:
        median = statistics.median(times[module])
        ratio = median / base
        note = ""
        if ratio > TARGET:
            progress.step(f"finding what {module} loads")
            heavy = heaviest_imports(module)
            note = "heaviest: " + ", ".join(f"{n} {ms:g} ms" for n, ms in heavy)
        outcome.figures.append(
            Figure(
                f"import {module}",
                ratio,
                "x",
                target=f"<= {TARGET}x",
                met=at_most(ratio, TARGET),
                baseline=base * 1000,
                note=f"median {median * 1000:.0f} ms" + (f"; {note}" if note else ""),
            )
        )
    outcome.details = {
        "runs": runs,
        "median_ms": {m: round(statistics.median(t) * 1000, 1) for m, t in times.items()},
        "min_ms": {m: round(min(t) * 1000, 1) for m, t in times.items()},
    }
    return outcome
