"""Revenue thresholds: set through the API, crossed by ledger changes, announced once
per crossing through the outbox."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from shared.db import Database
from shared.treasury import service
from shared.treasury.movements import MAX_AMOUNT_MINOR
from tests.conftest import UserClient
from tests.treasury.conftest import events_of, wait_for_lock_waiter
from tests.treasury.stripe_payloads import charge_refunded, checkout_completed, deliver, new_id


def set_threshold(client: UserClient, amount: int, currency: str = "usd", days: int = 30) -> Any:
    res = client.post(
        "/api/treasury/thresholds",
        json={"amount": amount, "currency": currency, "periodDays": days},
    )
    assert res.status_code == 201, res.get_json()
    return res.get_json()["threshold"]


@pytest.fixture
def creator(api: Any, user: str) -> UserClient:
    return UserClient(api, user)


def test_crossing_a_threshold_emits_threshold_reached_once(
    webhook: Any, db: Database, creator: UserClient
) -> None:
    threshold = set_threshold(creator, 100_000)
    assert threshold["is_reached"] is False
    first = checkout_completed(60_000, user=creator.user)
    deliver(webhook, first)
    assert events_of(db, creator.user, "revenue.threshold_reached") == []
    crossing = checkout_completed(50_000, user=creator.user)
    deliver(webhook, crossing)
    deliver(webhook, checkout_completed(10_000, user=creator.user))  # still above: no new event
    [reached] = events_of(db, creator.user, "revenue.threshold_reached")
    assert reached["event_data"] == {
        "threshold_id": threshold["id"],
        "amount_minor": 100_000,
        "currency": "usd",
        "period_days": 30,
        "net_revenue_minor": 110_000,
        "stripe_event_id": crossing["id"],
        "ledger_id": reached["event_data"]["ledger_id"],
    }
    [listed] = creator.get("/api/treasury/thresholds").get_json()
    assert listed["is_reached"] is True and listed["last_crossed_at"]


def test_falling_below_and_crossing_again_emits_again(
    webhook: Any, db: Database, creator: UserClient
) -> None:
    set_threshold(creator, 10_000)
    charge, intent = new_id("ch"), new_id("pi")
    deliver(webhook, checkout_completed(12_000, user=creator.user, payment_intent=intent))
    deliver(webhook, charge_refunded(charge, 12_000, 5_000, payment_intent=intent))
    assert creator.get("/api/treasury/thresholds").get_json()[0]["is_reached"] is False
    deliver(webhook, checkout_completed(4_000, user=creator.user))
    reached = events_of(db, creator.user, "revenue.threshold_reached")
    assert [e["event_data"]["net_revenue_minor"] for e in reached] == [12_000, 11_000]


def test_a_threshold_only_counts_its_own_currency(
    webhook: Any, db: Database, creator: UserClient
) -> None:
    set_threshold(creator, 1_000, currency="EUR")
    deliver(webhook, checkout_completed(5_000, user=creator.user, currency="usd"))
    assert events_of(db, creator.user, "revenue.threshold_reached") == []
    deliver(webhook, checkout_completed(1_000, user=creator.user, currency="eur"))
    assert len(events_of(db, creator.user, "revenue.threshold_reached")) == 1


def test_revenue_older_than_the_period_does_not_count(
    webhook: Any, db: Database, creator: UserClient
) -> None:
    import time

    set_threshold(creator, 1_000, days=7)
    old = int(time.time()) - 8 * 86_400
    deliver(webhook, checkout_completed(5_000, user=creator.user, created=old))
    assert events_of(db, creator.user, "revenue.threshold_reached") == []


def test_a_threshold_set_when_already_met_is_reached_at_once(
    webhook: Any, db: Database, creator: UserClient
) -> None:
    deliver(webhook, checkout_completed(5_000, user=creator.user))
    threshold = set_threshold(creator, 5_000)
    assert threshold["is_reached"] is True
    [reached] = events_of(db, creator.user, "revenue.threshold_reached")
    assert reached["event_data"]["threshold_id"] == threshold["id"]
    assert reached["event_data"]["reason"] == "threshold_created"


def test_thresholds_are_listed_per_user_only(creator: UserClient, bob: UserClient) -> None:
    mine = set_threshold(creator, 123)
    assert [t["id"] for t in creator.get("/api/treasury/thresholds").get_json()] == [mine["id"]]
    assert mine["id"] not in [t["id"] for t in bob.get("/api/treasury/thresholds").get_json()]


def test_another_users_threshold_cannot_be_deleted(creator: UserClient, bob: UserClient) -> None:
    mine = set_threshold(creator, 123)
    res = bob.delete(f"/api/treasury/thresholds/{mine['id']}")
    assert res.status_code == 404
    assert len(creator.get("/api/treasury/thresholds").get_json()) == 1


def test_deleting_a_threshold_stops_it(webhook: Any, db: Database, creator: UserClient) -> None:
    mine = set_threshold(creator, 100)
    assert creator.delete(f"/api/treasury/thresholds/{mine['id']}").get_json() == {"success": True}
    assert creator.get("/api/treasury/thresholds").get_json() == []
    deliver(webhook, checkout_completed(500, user=creator.user))
    assert events_of(db, creator.user, "revenue.threshold_reached") == []
    assert creator.delete(f"/api/treasury/thresholds/{mine['id']}").status_code == 404


def test_a_malformed_threshold_id_is_not_found(creator: UserClient) -> None:
    assert creator.delete("/api/treasury/thresholds/not-a-uuid").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": 0, "currency": "usd"}, "amount"),
        ({"amount": -5, "currency": "usd"}, "amount"),
        ({"amount": 10.5, "currency": "usd"}, "amount"),
        ({"amount": "1000", "currency": "usd"}, "amount"),
        ({"amount": MAX_AMOUNT_MINOR + 1, "currency": "usd"}, "amount"),
        ({"amount": 2**63, "currency": "usd"}, "amount"),
        ({"currency": "usd"}, "amount"),
        ({"amount": 100, "currency": "dollars"}, "currency"),
        ({"amount": 100, "currency": "u$d"}, "currency"),
        ({"amount": 100, "currency": "usd", "periodDays": 0}, "periodDays"),
        ({"amount": 100, "currency": "usd", "periodDays": 367}, "periodDays"),
    ],
)
def test_invalid_thresholds_are_refused_naming_the_field(
    creator: UserClient, body: dict[str, Any], field: str
) -> None:
    res = creator.post("/api/treasury/thresholds", json=body)
    assert res.status_code == 422
    assert field in res.get_json()["error"]
    assert creator.get("/api/treasury/thresholds").get_json() == []


def test_a_threshold_needs_a_token(api: Any) -> None:
    res = api.post("/api/treasury/thresholds", json={"amount": 1, "currency": "usd"})
    assert res.status_code == 401


def test_two_concurrent_payments_that_cross_together_are_announced_once(
    webhook: Any, db: Database, creator: UserClient
) -> None:
    set_threshold(creator, 100_000)
    first = checkout_completed(60_000, user=creator.user)
    second: dict[str, Any] = {}
    thread = threading.Thread(
        target=lambda: second.update(
            res=deliver(webhook, checkout_completed(50_000, user=creator.user))
        )
    )
    with db.transaction() as tx:  # the first payment holds the user's thresholds
        service.process(tx, first["id"], first["type"], first)
        thread.start()
        assert wait_for_lock_waiter(db), "the second payment did not wait for the thresholds"
    thread.join(timeout=30)
    assert second["res"].get_json()["status"] == "recorded"
    [reached] = events_of(db, creator.user, "revenue.threshold_reached")
    assert reached["event_data"]["net_revenue_minor"] == 110_000


def test_the_largest_threshold_is_crossed_by_the_largest_payments(
    webhook: Any, db: Database, creator: UserClient
) -> None:
    set_threshold(creator, MAX_AMOUNT_MINOR)
    for _ in range(2):
        assert (
            deliver(webhook, checkout_completed(MAX_AMOUNT_MINOR, user=creator.user)).status_code
            == 200
        )
    [reached] = events_of(db, creator.user, "revenue.threshold_reached")
    assert reached["event_data"]["net_revenue_minor"] == MAX_AMOUNT_MINOR
