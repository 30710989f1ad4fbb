"""Treasury fixtures: settings with the webhook secret, the webhook function's client,
and readers of what a delivery left in the database."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from shared import bootstrap
from shared.config import Settings
from shared.db import Database, Row
from tests.conftest import function_client, test_settings
from tests.treasury.stripe_payloads import SECRET


@pytest.fixture(scope="module")
def settings(db_url: str) -> Settings:
    s = test_settings(db_url, STRIPE_WEBHOOK_SECRET=SECRET)
    bootstrap.configure(s)
    return s


@pytest.fixture(scope="module")
def webhook(settings: Settings) -> Any:
    """The ``treasury_webhook`` function, as Cloud Functions would load it."""
    return function_client("treasury_webhook")


@pytest.fixture
def user() -> str:
    """A user of this test alone, so totals of other tests in the module never mix in."""
    return f"creator-{uuid.uuid4().hex[:8]}"


def ledger_rows(db: Database, user_id: str) -> list[Row]:
    with db.transaction() as tx:
        return tx.all(
            "SELECT * FROM revenue_ledger WHERE user_id = %s ORDER BY occurred_at, created_at",
            (user_id,),
        )


def events_of(db: Database, user_id: str, event_type: str) -> list[Row]:
    with db.transaction() as tx:
        return tx.all(
            "SELECT * FROM usage_events WHERE user_id = %s AND event_type = %s ORDER BY created_at",
            (user_id, event_type),
        )


def stripe_event(db: Database, event_id: str) -> Row | None:
    with db.transaction() as tx:
        return tx.one("SELECT * FROM stripe_events WHERE id = %s", (event_id,))


def net(db: Database, user_id: str, currency: str = "usd") -> int:
    with db.transaction() as tx:
        return int(
            tx.scalar(
                "SELECT COALESCE(SUM(amount_minor), 0) FROM revenue_ledger "
                "WHERE user_id = %s AND currency = %s AND kind IN ('payment', 'refund')",
                (user_id, currency),
            )
        )


def wait_for_lock_waiter(db: Database, deadline_s: float = 20) -> bool:
    """Whether some session of this database comes to wait on a row or key lock."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        with db.transaction() as tx:
            if tx.scalar(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ):
                return True
        time.sleep(0.02)
    return False
