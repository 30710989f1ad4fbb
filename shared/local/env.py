"""Settings for the local shape: the embedded database when no ``DATABASE_URL`` is set,
and a JWT secret (and a Stripe webhook signing secret) generated once and kept under
``$SEGP_HOME``."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from shared.config import Settings


def jwt_secret(home: Path) -> str:
    path = home / "jwt_secret"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def stripe_webhook_secret(home: Path) -> str:
    """A signing secret for the local ``/treasury-webhook``, so signed test payloads
    (``segp treasury sign``) verify without a Stripe account."""
    path = home / "stripe_webhook_secret"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text("whsec_" + secrets.token_urlsafe(32))
    return path.read_text().strip()


def local_settings(*, start_database: bool = True) -> tuple[Settings, Any]:
    """The local settings, and the embedded server's handle (``None`` when not used)."""
    settings = Settings.from_env(local=True)
    updates: dict[str, Any] = {}
    server = None
    if not settings.jwt_secret:
        updates["jwt_secret"] = jwt_secret(settings.segp_home)
    if not settings.stripe_webhook_secret:
        updates["stripe_webhook_secret"] = stripe_webhook_secret(settings.segp_home)
    if "console_enabled" not in settings.model_fields_set:
        updates["console_enabled"] = True  # `segp serve` shows the console unless told not to
    if not settings.event_bus and not (settings.events_project or settings.pubsub_emulator_host):
        updates["event_bus"] = "local"  # no real Pub/Sub: the local bus stands in
    if start_database and not settings.database_url and not settings.instance_connection_name:
        from shared.local import postgres

        server = postgres.start(settings.segp_home)
        updates["database_url"] = postgres.database_url(server)
    return settings.model_copy(update=updates), server
