"""The circuit breaker's shared state in the database (``model_endpoint_breakers``): what
``shared.model.breaker.SharedState`` asks for, one short statement each. Times are the
project's clock, as the breaker's own are, so instances compare like with like."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from shared.db import get_database


class DatabaseBreakerState:
    def read(self, names: Sequence[str], now: datetime) -> dict[str, datetime]:
        with get_database().transaction() as tx:
            rows = tx.all(
                "SELECT endpoint, open_until FROM model_endpoint_breakers "
                "WHERE endpoint = ANY(%s::text[]) AND open_until > %s",
                (list(names), now),
            )
        return {r["endpoint"]: r["open_until"] for r in rows}

    def opened(self, name: str, until: datetime) -> None:
        with get_database().transaction() as tx:
            tx.execute(
                "INSERT INTO model_endpoint_breakers (endpoint, open_until) VALUES (%s, %s) "
                "ON CONFLICT (endpoint) DO UPDATE SET opened_at = now(), "
                "open_until = greatest(model_endpoint_breakers.open_until, excluded.open_until)",
                (name, until),
            )

    def closed(self, name: str) -> None:
        with get_database().transaction() as tx:
            tx.execute("DELETE FROM model_endpoint_breakers WHERE endpoint = %s", (name,))
