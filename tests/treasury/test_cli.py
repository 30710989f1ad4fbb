"""``segp treasury``: signed test deliveries for a local webhook, customer links."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import stripe

from shared.cli import main
from shared.config import Settings
from shared.db import Database
from tests.treasury.stripe_payloads import SECRET


def test_sign_prints_a_header_that_verifies_with_the_local_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SEGP_HOME", str(tmp_path))
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET", raising=False)
    assert main(["treasury", "example", "--user", "dev", "--amount", "1234"]) == 0
    body = capsys.readouterr().out.strip()
    assert json.loads(body)["data"]["object"]["amount_paid"] == 1234
    event_file = tmp_path / "event.json"
    event_file.write_text(body)
    assert main(["treasury", "sign", str(event_file)]) == 0
    header = capsys.readouterr().out.strip()
    secret = (tmp_path / "stripe_webhook_secret").read_text().strip()
    assert secret.startswith("whsec_")
    assert stripe.WebhookSignature.verify_header(body, header, secret, tolerance=300)


def test_the_webhook_secret_is_kept_out_of_the_settings_repr(settings: Settings) -> None:
    assert settings.stripe_webhook_secret == SECRET
    assert SECRET not in repr(settings)


def test_link_maps_a_customer_to_a_user(
    db: Database,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
) -> None:
    monkeypatch.setenv("SEGP_HOME", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", db_url)
    try:
        assert main(["treasury", "link", "--customer", "cus_linked", "--user", "alice"]) == 0
        assert main(["treasury", "link", "--customer", "cus_linked", "--user", "carol"]) == 0
    finally:
        from shared import bootstrap

        bootstrap.configure(settings)
    with db.transaction() as tx:
        owner = tx.scalar("SELECT user_id FROM stripe_customers WHERE customer_id = 'cus_linked'")
    assert owner == "carol"
