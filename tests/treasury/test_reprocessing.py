"""Events recorded ``unassigned`` are applied once a mapping for their customer exists:
set with ``segp treasury link`` or learned from a later event, exactly once each."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from shared import bootstrap
from shared.cli import main
from shared.config import Settings
from shared.db import Database
from shared.treasury import service, thresholds
from tests.treasury.conftest import events_of, ledger_rows, net, stripe_event
from tests.treasury.stripe_payloads import charge_refunded, deliver, invoice_paid, new_id


def unassigned(webhook: Any, evt: dict[str, Any]) -> dict[str, Any]:
    assert deliver(webhook, evt).get_json()["status"] == "unassigned"
    return evt


def link(db: Database, customer: str, user: str) -> int:
    with db.transaction() as tx:
        return service.link(tx, customer, user)


def test_linking_a_customer_applies_its_unassigned_events_once(
    webhook: Any, db: Database, user: str
) -> None:
    customer = new_id("cus")
    first = unassigned(webhook, invoice_paid(800, customer=customer))
    second = unassigned(webhook, invoice_paid(200, customer=customer))
    unassigned(webhook, invoice_paid(999, customer=new_id("cus")))  # another customer's

    assert link(db, customer, user) == 2
    assert link(db, customer, user) == 0

    assert net(db, user) == 1_000
    assert {r["stripe_event_id"] for r in ledger_rows(db, user)} == {first["id"], second["id"]}
    assert len(events_of(db, user, "revenue.received")) == 2
    for evt in (first, second):
        row = stripe_event(db, evt["id"])
        assert row is not None
        assert (row["status"], row["user_id"]) == ("recorded", user)
    assert deliver(webhook, first).get_json()["status"] == "duplicate"
    assert net(db, user) == 1_000


def test_a_reprocessed_event_crosses_the_users_threshold(
    webhook: Any, db: Database, user: str
) -> None:
    with db.transaction() as tx:
        thresholds.create(tx, user, 500, "usd", 30)
    customer = new_id("cus")
    unassigned(webhook, invoice_paid(800, customer=customer))

    link(db, customer, user)

    [reached] = events_of(db, user, "revenue.threshold_reached")
    assert reached["event_data"]["net_revenue_minor"] == 800


def test_a_later_event_naming_the_customers_user_applies_the_earlier_ones(
    webhook: Any, db: Database, user: str
) -> None:
    customer = new_id("cus")
    charge = new_id("ch")
    earlier = unassigned(webhook, invoice_paid(700, customer=customer))
    refund = unassigned(webhook, charge_refunded(charge, 700, 100, customer=customer))

    res = deliver(webhook, invoice_paid(300, customer=customer, user=user))

    assert res.get_json()["status"] == "recorded"
    assert net(db, user) == 700 + 300 - 100
    for evt in (earlier, refund):
        row = stripe_event(db, evt["id"])
        assert row is not None
        assert row["status"] == "recorded"
    deliver(webhook, invoice_paid(50, customer=customer, user=user))
    assert len(ledger_rows(db, user)) == 4


def test_concurrent_links_apply_each_event_once(webhook: Any, db: Database, user: str) -> None:
    customer = new_id("cus")
    for amount in (100, 200, 300):
        unassigned(webhook, invoice_paid(amount, customer=customer))
    applied: list[int] = []
    threads = [
        threading.Thread(target=lambda: applied.append(link(db, customer, user))) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(applied) == [0, 0, 3]
    assert net(db, user) == 600
    assert len(events_of(db, user, "revenue.received")) == 3


def test_segp_treasury_link_reports_what_it_applied(
    webhook: Any,
    db: Database,
    db_url: str,
    user: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    settings: Settings,
) -> None:
    customer = new_id("cus")
    unassigned(webhook, invoice_paid(450, customer=customer))
    monkeypatch.setenv("SEGP_HOME", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", db_url)
    try:
        assert main(["treasury", "link", "--customer", customer, "--user", user]) == 0
    finally:
        bootstrap.configure(settings)
    assert capsys.readouterr().out.strip().endswith("unassigned events applied now: 1")
    assert net(db, user) == 450
