"""What each Stripe event records: ledger rows, revenue events, idempotency, users."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from shared.db import Database
from shared.treasury import service
from shared.treasury.movements import MAX_AMOUNT_MINOR
from tests.treasury.conftest import (
    events_of,
    ledger_rows,
    net,
    stripe_event,
    wait_for_lock_waiter,
)
from tests.treasury.stripe_payloads import (
    charge_refunded,
    checkout_completed,
    deliver,
    event,
    invoice_paid,
    new_id,
    payout_paid,
)


@pytest.mark.parametrize("where", ["parent", "subscription_details", "metadata"])
def test_an_invoice_is_credited_to_the_user_named_in_its_metadata(
    webhook: Any, db: Database, user: str, where: str
) -> None:
    evt = invoice_paid(4200, user=user, currency="EUR", where=where)
    assert deliver(webhook, evt).get_json()["status"] == "recorded"
    [row] = ledger_rows(db, user)
    assert (row["kind"], row["amount_minor"], row["currency"]) == ("payment", 4200, "eur")
    assert row["stripe_event_id"] == evt["id"]
    assert row["stripe_object_id"] == evt["data"]["object"]["id"]
    assert int(row["occurred_at"].timestamp()) == evt["created"]


def test_every_payment_emits_revenue_received_in_the_same_change(
    webhook: Any, db: Database, user: str
) -> None:
    evt = checkout_completed(1999, user=user)
    deliver(webhook, evt)
    [received] = events_of(db, user, "revenue.received")
    [row] = ledger_rows(db, user)
    data = received["event_data"]
    assert data["ledger_id"] == str(row["id"])
    assert (data["amount_minor"], data["currency"], data["kind"]) == (1999, "usd", "payment")
    assert data["stripe_event_id"] == evt["id"]


def test_a_replayed_event_changes_nothing(webhook: Any, db: Database, user: str) -> None:
    evt = invoice_paid(700, user=user)
    assert deliver(webhook, evt).get_json()["status"] == "recorded"
    again = deliver(webhook, evt)
    assert again.status_code == 200
    assert again.get_json()["status"] == "duplicate"
    assert len(ledger_rows(db, user)) == 1
    assert len(events_of(db, user, "revenue.received")) == 1


def test_a_concurrent_redelivery_waits_for_the_first_and_records_nothing(
    webhook: Any, db: Database, user: str
) -> None:
    evt = invoice_paid(900, user=user)
    second: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: second.update(res=deliver(webhook, evt)))
    with db.transaction() as tx:  # the first delivery, still in flight
        first = service.process(tx, evt["id"], evt["type"], evt)
        thread.start()
        assert wait_for_lock_waiter(db), "the second delivery did not wait for the first"
    thread.join(timeout=30)
    assert first.status == "recorded"
    assert second["res"].status_code == 200
    assert second["res"].get_json()["status"] == "duplicate"
    assert len(ledger_rows(db, user)) == 1
    assert len(events_of(db, user, "revenue.received")) == 1


def test_partial_refunds_lower_the_totals_by_what_each_event_adds(
    webhook: Any, db: Database, user: str
) -> None:
    customer, charge = new_id("cus"), new_id("ch")
    deliver(webhook, checkout_completed(10_000, user=user, customer=customer))
    deliver(webhook, charge_refunded(charge, 10_000, 2_500, customer=customer))
    deliver(webhook, charge_refunded(charge, 10_000, 4_000, customer=customer))
    refunds = [r["amount_minor"] for r in ledger_rows(db, user) if r["kind"] == "refund"]
    assert refunds == [-2_500, -1_500]
    assert net(db, user) == 6_000


def test_a_refund_event_arriving_after_a_later_one_adds_nothing(
    webhook: Any, db: Database, user: str
) -> None:
    customer, charge = new_id("cus"), new_id("ch")
    deliver(webhook, checkout_completed(10_000, user=user, customer=customer))
    late = charge_refunded(charge, 10_000, 2_500, customer=customer)
    deliver(webhook, charge_refunded(charge, 10_000, 10_000, customer=customer))
    res = deliver(webhook, late)
    assert res.get_json()["status"] == "ignored"
    assert net(db, user) == 0


def test_a_refund_finds_its_user_through_the_refunded_payment(
    webhook: Any, db: Database, user: str
) -> None:
    intent = new_id("pi")
    deliver(webhook, checkout_completed(5_000, user=user, payment_intent=intent))
    res = deliver(webhook, charge_refunded(new_id("ch"), 5_000, 5_000, payment_intent=intent))
    assert res.get_json()["status"] == "recorded"
    assert net(db, user) == 0
    [refunded] = events_of(db, user, "revenue.refunded")
    assert refunded["event_data"]["amount_minor"] == -5_000


def test_the_customer_mapping_is_learned_and_credits_later_events(
    webhook: Any, db: Database, user: str
) -> None:
    customer = new_id("cus")
    deliver(webhook, checkout_completed(1_000, user=user, customer=customer))
    res = deliver(webhook, invoice_paid(3_000, customer=customer, user=None))
    assert res.get_json()["status"] == "recorded"
    assert net(db, user) == 4_000


def test_an_event_for_no_known_user_is_recorded_unassigned_and_acknowledged(
    webhook: Any, db: Database
) -> None:
    evt = invoice_paid(800, customer=new_id("cus"))
    res = deliver(webhook, evt)
    assert res.status_code == 200
    assert res.get_json()["status"] == "unassigned"
    row = stripe_event(db, evt["id"])
    assert row is not None
    assert (row["status"], row["user_id"], row["type"]) == ("unassigned", None, "invoice.paid")
    assert row["payload"]["id"] == evt["id"]
    with db.transaction() as tx:
        assert (
            tx.scalar(
                "SELECT count(*) FROM revenue_ledger WHERE stripe_event_id = %s", (evt["id"],)
            )
            == 0
        )


def test_an_unhandled_event_type_is_recorded_and_acknowledged(
    webhook: Any, db: Database, user: str
) -> None:
    evt = event("customer.created", {"id": new_id("cus"), "object": "customer"})
    res = deliver(webhook, evt)
    assert res.status_code == 200
    assert res.get_json()["status"] == "ignored"
    row = stripe_event(db, evt["id"])
    assert row is not None and row["status"] == "ignored"


def test_a_subscription_checkout_is_left_to_its_invoice_so_nothing_counts_twice(
    webhook: Any, db: Database, user: str
) -> None:
    customer = new_id("cus")
    res = deliver(
        webhook, checkout_completed(2_000, user=user, customer=customer, mode="subscription")
    )
    assert res.get_json()["status"] == "ignored"
    deliver(webhook, invoice_paid(2_000, customer=customer))
    assert net(db, user) == 2_000  # credited through the mapping the checkout taught


def test_an_unpaid_checkout_records_no_money(webhook: Any, db: Database, user: str) -> None:
    res = deliver(webhook, checkout_completed(2_000, user=user, payment_status="unpaid"))
    assert res.get_json()["status"] == "ignored"
    assert ledger_rows(db, user) == []


def test_a_payout_is_in_the_ledger_but_not_revenue(webhook: Any, db: Database, user: str) -> None:
    deliver(webhook, invoice_paid(5_000, user=user))
    deliver(webhook, payout_paid(4_000, user=user))
    kinds = sorted((r["kind"], r["amount_minor"]) for r in ledger_rows(db, user))
    assert kinds == [("payment", 5_000), ("payout", 4_000)]
    assert net(db, user) == 5_000


def test_an_amount_that_is_not_an_integer_is_recorded_invalid_not_rounded(
    webhook: Any, db: Database, user: str
) -> None:
    evt = invoice_paid(100, user=user)
    evt["data"]["object"]["amount_paid"] = 10.5
    res = deliver(webhook, evt)
    assert res.status_code == 200
    assert res.get_json()["status"] == "invalid"
    assert ledger_rows(db, user) == []


@pytest.mark.parametrize("amount", [MAX_AMOUNT_MINOR + 1, 2**63, 10**30])
def test_an_amount_past_the_bound_is_recorded_invalid_and_writes_no_ledger_row(
    webhook: Any, db: Database, user: str, amount: int
) -> None:
    evt = invoice_paid(100, user=user)
    evt["data"]["object"]["amount_paid"] = amount
    res = deliver(webhook, evt)
    assert res.status_code == 200
    assert res.get_json()["status"] == "invalid"
    assert "amount_paid" in res.get_json()["detail"]
    assert ledger_rows(db, user) == []


@pytest.mark.parametrize("created", [10**12, 2**63])
def test_a_creation_time_no_date_can_hold_is_recorded_invalid(
    webhook: Any, db: Database, user: str, created: int
) -> None:
    res = deliver(webhook, invoice_paid(100, user=user, created=created))
    assert res.status_code == 200
    assert res.get_json()["status"] == "invalid" and "created" in res.get_json()["detail"]
    assert ledger_rows(db, user) == []
