"""Revenue summary and ledger pages, per user."""

from __future__ import annotations

import time
from typing import Any

import pytest

from shared.treasury.movements import MAX_AMOUNT_MINOR
from tests.conftest import UserClient
from tests.treasury.stripe_payloads import (
    charge_refunded,
    checkout_completed,
    deliver,
    invoice_paid,
    new_id,
    payout_paid,
)

DAY = 86_400


@pytest.fixture
def creator(api: Any, user: str) -> UserClient:
    return UserClient(api, user)


def test_the_summary_nets_refunds_per_currency_over_the_period_and_all_time(
    webhook: Any, creator: UserClient
) -> None:
    now, intent = int(time.time()), new_id("pi")
    u = creator.user
    deliver(webhook, checkout_completed(10_000, user=u, payment_intent=intent))
    deliver(webhook, charge_refunded(new_id("ch"), 10_000, 3_000, payment_intent=intent))
    deliver(webhook, invoice_paid(7_000, user=u, created=now - 45 * DAY))
    deliver(webhook, invoice_paid(500, user=u, currency="jpy"))
    deliver(webhook, payout_paid(2_000, user=u))
    res = creator.get("/api/treasury/summary?periodDays=30")
    assert res.status_code == 200
    assert res.get_json() == {
        "period_days": 30,
        "totals": [
            {
                "currency": "jpy",
                "period": {"payments": 500, "refunds": 0, "net": 500, "payouts": 0},
                "all_time": {"payments": 500, "refunds": 0, "net": 500, "payouts": 0},
            },
            {
                "currency": "usd",
                "period": {"payments": 10_000, "refunds": 3_000, "net": 7_000, "payouts": 2_000},
                "all_time": {"payments": 17_000, "refunds": 3_000, "net": 14_000, "payouts": 2_000},
            },
        ],
    }
    wider = creator.get("/api/treasury/summary?periodDays=60").get_json()
    assert wider["totals"][1]["period"]["net"] == 14_000


def test_the_summary_of_a_user_without_revenue_is_empty(creator: UserClient) -> None:
    assert creator.get("/api/treasury/summary").get_json() == {"period_days": 30, "totals": []}


def test_the_ledger_is_paged_newest_first(webhook: Any, creator: UserClient) -> None:
    now = int(time.time())
    amounts = [100, 200, 300, 400, 500]
    for i, amount in enumerate(amounts):
        deliver(webhook, invoice_paid(amount, user=creator.user, created=now - (10 - i) * 60))
    seen, cursor = [], None
    for _ in range(5):
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = creator.get(f"/api/treasury/ledger?{query}").get_json()
        seen += [e["amount_minor"] for e in page["entries"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(amounts))


def test_the_ledger_filters_by_kind_and_currency(webhook: Any, creator: UserClient) -> None:
    deliver(webhook, invoice_paid(100, user=creator.user, currency="eur"))
    deliver(webhook, invoice_paid(200, user=creator.user))
    deliver(webhook, payout_paid(50, user=creator.user))
    page = creator.get("/api/treasury/ledger?kind=payment&currency=EUR").get_json()
    assert [(e["kind"], e["amount_minor"]) for e in page["entries"]] == [("payment", 100)]


def test_another_users_revenue_is_invisible(webhook: Any, creator: UserClient, api: Any) -> None:
    deliver(webhook, invoice_paid(999, user=creator.user))
    stranger = UserClient(api, "stranger")
    assert stranger.get("/api/treasury/ledger").get_json() == {"entries": [], "next_cursor": None}
    assert stranger.get("/api/treasury/summary").get_json()["totals"] == []
    assert len(creator.get("/api/treasury/ledger").get_json()["entries"]) == 1


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/treasury/summary?periodDays=0", "periodDays"),
        ("/api/treasury/summary?periodDays=week", "periodDays"),
        ("/api/treasury/ledger?limit=0", "limit"),
        ("/api/treasury/ledger?limit=101", "limit"),
        ("/api/treasury/ledger?cursor=bogus", "cursor"),
        ("/api/treasury/ledger?kind=gift", "kind"),
        ("/api/treasury/ledger?currency=dollars", "currency"),
    ],
)
def test_bad_query_values_are_refused_naming_the_parameter(
    creator: UserClient, path: str, field: str
) -> None:
    res = creator.get(path)
    assert res.status_code == 422
    assert res.get_json()["error"].startswith(field)


@pytest.mark.parametrize("path", ["/api/treasury/summary", "/api/treasury/ledger"])
def test_revenue_needs_a_token(api: Any, path: str) -> None:
    assert api.get(path).status_code == 401


def test_totals_of_the_largest_accepted_amounts_are_exact_integers(
    webhook: Any, creator: UserClient
) -> None:
    for _ in range(3):
        deliver(webhook, invoice_paid(MAX_AMOUNT_MINOR, user=creator.user))
    deliver(webhook, payout_paid(MAX_AMOUNT_MINOR, user=creator.user))
    res = creator.get("/api/treasury/summary")
    assert res.status_code == 200
    [usd] = res.get_json()["totals"]
    expected = {"payments": 3 * MAX_AMOUNT_MINOR, "refunds": 0, "payouts": MAX_AMOUNT_MINOR}
    assert usd["all_time"] == {**expected, "net": 3 * MAX_AMOUNT_MINOR}
