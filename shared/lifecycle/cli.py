"""``segp user export|erase`` and ``segp retention``: the data lifecycle for operators."""

from __future__ import annotations

import argparse
import json
import sys


def _configure() -> None:
    from shared import bootstrap
    from shared.local.env import local_settings

    settings, _server = local_settings()
    bootstrap.configure(settings)


def export(args: argparse.Namespace) -> int:
    from shared.lifecycle.export import lines

    _configure()
    for chunk in lines(args.user):
        sys.stdout.write(chunk)
    sys.stdout.flush()
    return 0


def erase(args: argparse.Namespace) -> int:
    from shared.lifecycle.erasure import erase as erase_user

    _configure()
    print(json.dumps(erase_user(args.user).as_json(), indent=2))
    return 0


def retention(args: argparse.Namespace) -> int:
    from shared.lifecycle import retention as rules

    _configure()
    counts = rules.pending() if args.dry_run else rules.purge()
    verb = "would purge" if args.dry_run else "purged"
    for name, count in counts.items():
        print(f"{verb} {name}: {count}")
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = sub.add_parser("user", help="a user's data: export it, erase it")
    usub = user.add_subparsers(dest="user_command", required=True)
    ex = usub.add_parser("export", help="print everything stored for a user as JSON Lines")
    ex.add_argument("--user", required=True, help="the user id")
    ex.set_defaults(run=export)
    er = usub.add_parser(
        "erase", help="erase a user: every row, scheduler job and pending event (safe twice)"
    )
    er.add_argument("--user", required=True, help="the user id")
    er.set_defaults(run=erase)

    ret = sub.add_parser("retention", help="purge what the retention settings no longer keep")
    ret.add_argument(
        "--dry-run",
        action="store_true",
        help="print what the next purge would change, change nothing",
    )
    ret.set_defaults(run=retention)
