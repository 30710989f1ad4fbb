"""The webhook believes only bodies Stripe signed with this endpoint's secret, recently."""

from __future__ import annotations

import json
import time
from typing import Any

from shared import bootstrap
from shared.config import Settings
from shared.db import Database
from tests.conftest import test_settings
from tests.treasury.conftest import ledger_rows, stripe_event
from tests.treasury.stripe_payloads import SECRET, deliver, invoice_paid, signed


def test_a_correctly_signed_invoice_is_recorded(webhook: Any, db: Database, user: str) -> None:
    evt = invoice_paid(2500, user=user)
    res = deliver(webhook, evt)
    assert res.status_code == 200
    assert res.get_json() == {"received": True, "eventId": evt["id"], "status": "recorded"}
    assert [r["amount_minor"] for r in ledger_rows(db, user)] == [2500]


def test_a_body_signed_with_another_secret_is_refused_and_changes_nothing(
    webhook: Any, db: Database, user: str
) -> None:
    evt = invoice_paid(2500, user=user)
    res = deliver(webhook, evt, secret="whsec_someone_else")
    assert res.status_code == 400
    assert "Stripe-Signature" in res.get_json()["error"]
    assert stripe_event(db, evt["id"]) is None
    assert ledger_rows(db, user) == []


def test_a_signature_older_than_five_minutes_is_refused(
    webhook: Any, db: Database, user: str
) -> None:
    evt = invoice_paid(2500, user=user)
    res = deliver(webhook, evt, timestamp=int(time.time()) - 301)
    assert res.status_code == 400
    assert "tolerance" in res.get_json()["error"]
    assert stripe_event(db, evt["id"]) is None


def test_a_signature_within_five_minutes_is_accepted(webhook: Any, user: str) -> None:
    res = deliver(webhook, invoice_paid(100, user=user), timestamp=int(time.time()) - 240)
    assert res.status_code == 200


def test_a_body_changed_after_signing_is_refused(webhook: Any, db: Database, user: str) -> None:
    evt = invoice_paid(100, user=user)
    body, header = signed(evt)
    forged = body.replace('"amount_paid": 100', '"amount_paid": 100000')
    res = webhook.post("/", data=forged, headers={"Stripe-Signature": header})
    assert res.status_code == 400
    assert ledger_rows(db, user) == []


def test_a_delivery_without_signature_is_refused(webhook: Any, db: Database, user: str) -> None:
    evt = invoice_paid(100, user=user)
    res = webhook.post("/", data=json.dumps(evt), content_type="application/json")
    assert res.status_code == 400
    assert stripe_event(db, evt["id"]) is None


def test_a_signed_body_that_is_not_json_is_refused(webhook: Any) -> None:
    import stripe

    body = "not json"
    header = stripe.WebhookSignature.generate_signature_header(body, SECRET)
    res = webhook.post("/", data=body, headers={"Stripe-Signature": header})
    assert res.status_code == 400


def test_a_body_over_the_size_limit_is_refused(webhook: Any, settings: Settings) -> None:
    res = webhook.post("/", data=b"x" * (settings.max_body_bytes + 1))
    assert res.status_code == 413


def test_only_post_is_accepted(webhook: Any) -> None:
    assert webhook.get("/").status_code == 405


def test_without_a_configured_secret_deliveries_are_refused_for_retry(
    webhook: Any, db: Database, db_url: str, settings: Settings, user: str
) -> None:
    bootstrap.configure(test_settings(db_url))
    try:
        evt = invoice_paid(100, user=user)
        res = deliver(webhook, evt)
        assert res.status_code == 503  # Stripe retries for days: fixing the config loses nothing
        assert "STRIPE_WEBHOOK_SECRET" in res.get_json()["error"]
    finally:
        bootstrap.configure(settings)
    assert stripe_event(db, evt["id"]) is None


def test_the_local_server_serves_the_webhook_at_its_path(db: Database, user: str) -> None:
    from werkzeug.test import Client

    from shared.local.server import build_wsgi

    body, header = signed(invoice_paid(300, user=user))
    res = Client(build_wsgi()).post(
        "/treasury-webhook", data=body, headers={"Stripe-Signature": header}
    )
    assert res.status_code == 200
    assert res.get_json()["status"] == "recorded"
    assert [r["amount_minor"] for r in ledger_rows(db, user)] == [300]
