"""``segp treasury ...``: link a Stripe customer to a user, and make signed test
deliveries for a local ``/treasury-webhook``."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path

from shared import clock


def link(args: argparse.Namespace) -> int:
    from shared import bootstrap
    from shared.db import get_database
    from shared.local.env import local_settings
    from shared.treasury import service

    settings, _server = local_settings()
    bootstrap.configure(settings)
    with get_database().transaction() as tx:
        applied = service.link(tx, args.customer, args.user)
    get_database().close()
    print(f"{args.customer} -> {args.user}; unassigned events applied now: {applied}")
    return 0


def example(args: argparse.Namespace) -> int:
    """An ``invoice.paid`` event as Stripe sends it, crediting ``--user``."""
    hexid = uuid.uuid4().hex[:24]
    event = {
        "id": f"evt_{hexid}",
        "object": "event",
        "created": clock.epoch_seconds(),
        "type": "invoice.paid",
        "data": {
            "object": {
                "id": f"in_{hexid}",
                "object": "invoice",
                "amount_paid": args.amount,
                "currency": args.currency,
                "customer": args.customer or f"cus_{hexid}",
                "metadata": {"nexus_user_id": args.user},
            }
        },
    }
    print(json.dumps(event))
    return 0


def sign(args: argparse.Namespace) -> int:
    from shared.local.env import local_settings
    from shared.treasury.stripe_adapter import signature_header

    settings, _ = local_settings(start_database=False)
    assert settings.stripe_webhook_secret is not None
    payload = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
    print(signature_header(payload, settings.stripe_webhook_secret))
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    treasury = sub.add_parser("treasury", help="Stripe revenue: customer links, test deliveries")
    tsub = treasury.add_subparsers(dest="treasury_command", required=True)

    lk = tsub.add_parser("link", help="credit a Stripe customer (or connected account) to a user")
    lk.add_argument("--customer", required=True, help="cus_... or acct_...")
    lk.add_argument("--user", required=True, help="the NEXUS user id")
    lk.set_defaults(run=link)

    ex = tsub.add_parser("example", help="print an invoice.paid event crediting a user")
    ex.add_argument("--user", required=True, help="the NEXUS user id (nexus_user_id metadata)")
    ex.add_argument("--amount", type=int, default=2500, help="minor units (default 2500)")
    ex.add_argument("--currency", default="usd", help="ISO code (default usd)")
    ex.add_argument("--customer", help="Stripe customer id (default: a new one)")
    ex.set_defaults(run=example)

    sg = tsub.add_parser(
        "sign", help="print the Stripe-Signature header for a body, with this installation's secret"
    )
    sg.add_argument("file", help="the exact body to send ('-' for stdin)")
    sg.set_defaults(run=sign)
