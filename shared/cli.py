"""The ``segp`` command: serve, migrate, token, and the operations of each capability."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

Command = Callable[[argparse.Namespace], int]


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM (a process manager, ``docker stop``, ``kill``) and SIGINT stop like Ctrl-C."""
    raise KeyboardInterrupt


def _serve(args: argparse.Namespace) -> int:
    import signal

    from werkzeug.serving import run_simple

    from shared import bootstrap, logs
    from shared.db import get_database
    from shared.db.migrate import migrate
    from shared.local.env import local_settings
    from shared.local.server import RequestHandler, build_wsgi
    from shared.model import describe
    from shared.web.auth import mint

    settings, _server = local_settings()
    if args.port:
        settings = settings.model_copy(update={"port": args.port})
    logs.setup(settings.log_level)
    bootstrap.configure(settings)
    applied = migrate(get_database())
    assert settings.jwt_secret is not None
    url = f"http://127.0.0.1:{settings.port}"
    from shared.local.server import MOUNTS

    print(f"SEGP serving on {url}  (functions at {', '.join(MOUNTS)})")
    print(
        f"database: {'embedded PostgreSQL under ' + str(settings.segp_home) if _server else 'DATABASE_URL'}"
        f"; migrations applied now: {len(applied)}"
    )
    print(f"model: {describe(settings)}")
    dev_token = mint("dev", settings.jwt_secret)
    print(f"dev token (user 'dev'): {dev_token}")
    if settings.console_enabled:
        # the fragment stays in the browser (never sent to a server); the page signs in with it
        print(f"console: {url}/console/#token={dev_token}")
    clock = None
    if not settings.mirror_configured and not args.no_clock:
        from shared.local.clock import LocalClock

        clock = LocalClock(
            f"{url}/schedule-fire",
            mode=settings.scheduler_mode,
            job_prefix=settings.scheduler_job_prefix,
        )
        clock.start()
        print(
            f"scheduler: local clock calls /schedule-fire every minute ({settings.scheduler_mode} mode)"
        )
    sys.stdout.flush()
    # SIGINT too: a process started in the background by a shell inherits SIGINT
    # ignored, and Python then never turns it into KeyboardInterrupt
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        run_simple(
            "127.0.0.1",
            settings.port,
            build_wsgi(),
            threaded=True,
            use_reloader=False,
            request_handler=RequestHandler,
        )
    except KeyboardInterrupt:
        pass
    finally:
        if clock is not None:
            clock.stop()
        get_database().close()
        print("SEGP stopped")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from shared import bootstrap
    from shared.db import get_database
    from shared.db.migrate import migrate
    from shared.local.env import local_settings

    settings, _server = local_settings()
    bootstrap.configure(settings)
    applied = migrate(get_database())
    print("\n".join(f"applied {name}" for name in applied) or "up to date")
    get_database().close()
    return 0


def _token(args: argparse.Namespace) -> int:
    from shared.local.env import local_settings
    from shared.web.auth import mint

    settings, _ = local_settings(start_database=False)
    assert settings.jwt_secret is not None
    print(mint(args.user, settings.jwt_secret, ttl_seconds=args.ttl))
    return 0


def _goals_generate(args: argparse.Namespace) -> int:
    import json

    from shared import bootstrap
    from shared.goals.generation import auto_generate
    from shared.goals.sweep import fan_out
    from shared.local.env import local_settings
    from shared.web.responses import dumps

    settings, _server = local_settings()
    bootstrap.configure(settings)
    if args.user:
        print(dumps(auto_generate(args.user, force=args.force).as_json()))
    else:
        print(json.dumps(fan_out().as_json()))
    return 0


def _memory_consolidate(args: argparse.Namespace) -> int:
    import json

    from shared import bootstrap
    from shared.db import get_database
    from shared.local.env import local_settings
    from shared.memory.consolidate import consolidate

    settings, _server = local_settings()
    bootstrap.configure(settings)
    report = consolidate(args.user)
    print(json.dumps(report, indent=2, default=str))
    get_database().close()
    return 0


def _progress(done: int, total: int) -> None:
    width = 30
    filled = width * done // total if total else width
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _scheduler_sync(args: argparse.Namespace) -> int:
    from shared import bootstrap
    from shared.db import get_database
    from shared.local.env import local_settings
    from shared.scheduler.sync import reconcile

    settings, _server = local_settings()
    bootstrap.configure(settings)
    if not settings.mirror_configured:
        print(
            "segp: the Cloud Scheduler mirror is off (SCHEDULER_PROJECT is unset); "
            "the local clock drives the tasks",
            file=sys.stderr,
        )
        return 2
    try:
        report = reconcile(dry_run=args.dry_run, progress=_progress)
    finally:
        get_database().close()
    summary = report.as_dict()["summary"]
    verb = "would make" if args.dry_run else "made"
    print(f"{verb}: " + ", ".join(f"{n} {k}" for k, n in summary.items()))
    for action in ("created", "updated", "paused", "resumed", "deleted"):
        for job in getattr(report, action):
            print(f"  {action}: {job}")
    for job, error in report.failed.items():
        print(f"  FAILED {job}: {error}", file=sys.stderr)
    return 1 if report.failed else 0


def _evolver_calibrate(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from shared import bootstrap
    from shared.evolver.calibration import CALIBRATION_SET, calibrate
    from shared.local.env import local_settings
    from shared.model import describe

    settings, _ = local_settings(start_database=False)
    bootstrap.configure(settings)
    print(f"critic: {describe(settings)}", file=sys.stderr)
    report = calibrate(Path(args.file) if args.file else CALIBRATION_SET)
    print(json.dumps(report, indent=2))
    return 0 if report["spearman"] is not None else 1


def _doctor(args: argparse.Namespace) -> int:
    from shared import doctor
    from shared.config import Settings
    from shared.db import get_database
    from shared.local.env import local_settings

    handles = []  # the embedded database, when the local shape starts one

    def read() -> Settings:
        settings, server = local_settings()
        handles.append(server)
        return settings

    failed = False
    try:
        for check in doctor.run(read):
            print("\n".join(check.lines()), flush=True)
            failed = failed or not check.ok
    finally:
        if handles:  # the settings were read, so the pool may be open
            get_database().close()
    print("something is wrong: see the fixes above" if failed else "all checks passed")
    return 1 if failed else 0


def _bench(args: argparse.Namespace) -> int:
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    if not (root / "bench" / "runner.py").exists():
        print(
            "segp bench: run it from a source checkout (bench/ is not installed)", file=sys.stderr
        )
        return 2
    sys.path.insert(0, str(root))  # bench/ and the test fakes it uses live beside shared/
    from bench.runner import run_parsed

    return run_parsed(args)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="segp", description="SEGP: the NEXUS OS backend.")
    sub = top.add_subparsers(dest="command", required=True)

    serve = sub.add_parser(
        "serve", help="serve every function on one port, with the local stand-ins"
    )
    serve.add_argument("--port", type=int, help="port (default $PORT or 8080)")
    serve.add_argument(
        "--no-clock", action="store_true", help="do not start the local scheduler clock"
    )
    serve.set_defaults(run=_serve)

    mig = sub.add_parser("migrate", help="apply pending database migrations")
    mig.set_defaults(run=_migrate)

    doc = sub.add_parser(
        "doctor",
        help="check the settings, database, model, Pub/Sub and Cloud Scheduler of this "
        "environment; exit 1 when something is wrong",
    )
    doc.set_defaults(run=_doctor)

    tok = sub.add_parser("token", help="print a user JWT signed with this installation's secret")
    tok.add_argument("--user", required=True, help="the user id (the token's id and sub claims)")
    tok.add_argument("--ttl", type=int, default=30 * 24 * 3600, help="lifetime in seconds")
    tok.set_defaults(run=_token)

    from shared.treasury.cli import add_commands as treasury_commands

    treasury_commands(sub)
    from shared.lifecycle.cli import add_commands as lifecycle_commands

    lifecycle_commands(sub)
    goals = sub.add_parser(
        "goals-generate",
        help="generate goals for one user, or (without --user) request it for every active user",
    )
    goals.add_argument("--user", help="the user id; omitted: the daily fan-out sweep")
    goals.add_argument("--force", action="store_true", help="run even if done today (one user)")
    goals.set_defaults(run=_goals_generate)
    memory = sub.add_parser("memory", help="operate on users' memory")
    memory_sub = memory.add_subparsers(dest="memory_command", required=True)
    cons = memory_sub.add_parser(
        "consolidate",
        help="summarise a user's similar recent episodic memories and archive old ones",
    )
    cons.add_argument("--user", required=True, help="the user id")
    cons.set_defaults(run=_memory_consolidate)
    sched = sub.add_parser("scheduler", help="scheduled tasks and their Cloud Scheduler jobs")
    sched_sub = sched.add_subparsers(dest="scheduler_command", required=True)
    sync = sched_sub.add_parser(
        "sync", help="make the Cloud Scheduler jobs match the scheduled_tasks table"
    )
    sync.add_argument(
        "--dry-run", action="store_true", help="list what would change, change nothing"
    )
    sync.set_defaults(run=_scheduler_sync)
    evolver = sub.add_parser("evolver", help="the Evolver's critic")
    evolver_sub = evolver.add_subparsers(dest="evolver_command", required=True)
    cal = evolver_sub.add_parser(
        "calibrate",
        help="critique a labelled set with the configured model and print the Spearman "
        "rank correlation of its scores with the labelled order",
    )
    cal.add_argument("--file", help="a labelled set (default: shared/evolver/calibration.json)")
    cal.set_defaults(run=_evolver_calibrate)
    bench = sub.add_parser(
        "bench",
        help="run the benchmarks (all, or the NAMEs given) against their targets",
    )
    bench.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="cold-start, event-dispatch, memory-recall, scheduler-reconcile, evolve-overhead, "
        "run-fanout, run-resume",
    )
    bench.add_argument("--quick", action="store_true", help="small sizes, to try the harness")
    bench.add_argument(
        "--size", choices=("100k", "1m"), help="memory-recall's table size (default 100k)"
    )
    bench.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    bench.add_argument("--no-save", action="store_true", help="do not write bench/results")
    bench.add_argument("--out", metavar="FILE", help="also write the figures run to FILE (JSON)")
    bench.set_defaults(run=_bench)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    from shared.errors import AppError

    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except AppError as exc:
        print(f"segp: {exc.message}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
