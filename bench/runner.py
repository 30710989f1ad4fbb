"""Running the benchmarks: ``python -m bench [NAME ...]`` (``make bench``) and
``segp bench [NAME ...]``. Progress goes to stderr, the table to stdout, and a full
run writes ``bench/results/latest.json`` and ``bench/results/curves.png``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report
from bench.environment import Environment, environment, machine
from bench.figures import Outcome, Unavailable
from bench.progress import Progress

Bench = Callable[[Environment, Progress, bool], Outcome]


def _registry() -> dict[str, tuple[str, Bench]]:
    from bench import (
        cold_start,
        event_dispatch,
        evolve_overhead,
        memory_recall,
        run_fanout,
        run_resume,
        scheduler_reconcile,
        swarm,
    )

    return {
        "cold-start": (cold_start.__doc__ or "", cold_start.run),
        "event-dispatch": (event_dispatch.__doc__ or "", event_dispatch.run),
        "memory-recall": (memory_recall.__doc__ or "", memory_recall.run),
        "scheduler-reconcile": (scheduler_reconcile.__doc__ or "", scheduler_reconcile.run),
        "evolve-overhead": (evolve_overhead.__doc__ or "", evolve_overhead.run),
        "run-fanout": (run_fanout.__doc__ or "", run_fanout.run),
        "run-resume": (run_resume.__doc__ or "", run_resume.run),
        "swarm": (swarm.__doc__ or "", swarm.run),
    }


SIZE_CHOICES = ("100k", "1m")
NAMES = (
    "cold-start",
    "event-dispatch",
    "memory-recall",
    "scheduler-reconcile",
    "evolve-overhead",
    "run-fanout",
    "run-resume",
    "swarm",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"benchmarks to run (default all): {', '.join(NAMES)}",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes, for trying the harness (not reported)"
    )
    parser.add_argument(
        "--size",
        choices=SIZE_CHOICES,
        help="memory-recall's table size (default 100k, what make bench runs); a run "
        "with --size writes bench/results/<names>-<size>.json",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when a target is missed or a benchmark skipped",
    )
    parser.add_argument(
        "--markdown",
        action="store_true",
        help="print the table of bench/results/latest.json in Markdown (runs nothing)",
    )
    parser.add_argument(
        "--out",
        metavar="FILE",
        help="also write the figures of the benchmarks run (any subset) to FILE as JSON",
    )
    parser.add_argument(
        "--no-save",
        action="store_true",
        help="do not write bench/results (a subset or --quick run never does)",
    )


def run(
    names: Sequence[str],
    *,
    quick: bool = False,
    save: bool = True,
    strict: bool = False,
    out: str | None = None,
    size: str | None = None,
) -> int:
    benches = _registry()
    unknown = [n for n in names if n not in benches]
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(NAMES)}",
            file=sys.stderr,
        )
        return 2
    chosen = list(names) or list(NAMES)
    progress = Progress()
    meta: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "quick": quick,
        "size": size,
    }
    outcomes: list[Outcome] = []
    began = time.monotonic()
    with environment() as env:
        env.size = size
        for index, name in enumerate(chosen, 1):
            title, bench = benches[name]
            progress.begin(name, index, len(chosen))
            t0 = time.monotonic()
            try:
                outcome = bench(env, progress, quick)
            except Unavailable as exc:
                outcome = Outcome(name, title.split("\n", 1)[0], skipped=str(exc))
            outcome.seconds = time.monotonic() - t0
            outcomes.append(outcome)
            progress.end(
                "skipped: " + outcome.skipped
                if outcome.skipped
                else f"done in {outcome.seconds:.0f} s"
            )
    meta["total_seconds"] = round(time.monotonic() - began, 1)
    print(report.table(outcomes))
    print(f"\n{len(chosen)} benchmark(s) in {meta['total_seconds']:.0f} s")
    if save and not quick and size:
        path = report.RESULTS / f"{'-'.join(chosen)}-{size}.json"
        report.write_json(outcomes, meta, path)
        print(f"wrote {path}")
    elif save and not quick and not names:
        report.write_json(outcomes, meta, report.RESULTS / "latest.json")
        report.chart(outcomes, report.RESULTS / "curves.png")
        print(f"wrote {report.RESULTS / 'latest.json'} and {report.RESULTS / 'curves.png'}")
    if out:
        report.write_json(outcomes, meta, Path(out))
        print(f"wrote {out}")
    missed = [o.name for o in outcomes if not o.all_met]
    if missed:
        print(f"targets missed or not measured: {', '.join(missed)}")
    return 1 if strict and missed else 0


def run_parsed(args: argparse.Namespace) -> int:
    """``run`` with the options ``add_arguments`` (or ``segp bench``) parsed."""
    return run(
        args.names,
        quick=args.quick,
        save=not args.no_save,
        strict=args.strict,
        out=args.out,
        size=args.size,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    if args.markdown:
        print(report.markdown(report.RESULTS / "latest.json"))
        return 0
    return run_parsed(args)
