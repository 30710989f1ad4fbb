"""Deliveries that can never be processed (a poison Pub/Sub message, a Cloud Scheduler
job with a malformed body) are acknowledged, so they are not retried forever, and kept
here for inspection."""

from __future__ import annotations

from shared.db import Tx, get_database
from shared.logs import get
from shared.storable import scrub

log = get(__name__)


def _clean(text: str | None) -> str | None:
    return scrub(text) if text is not None else None


def record_rejection(
    source: str,
    reason: str,
    *,
    body: str | None,
    delivery_id: str | None,
    tx: Tx | None = None,
) -> None:
    """Record a delivery that can never be processed, in ``tx`` when given."""
    log.warning(
        "delivery rejected: %s", reason, extra={"source": source, "deliveryId": delivery_id}
    )
    if tx is None:
        with get_database().transaction() as own:
            _insert(own, source, reason, body, delivery_id)
    else:
        _insert(tx, source, reason, body, delivery_id)


def _insert(tx: Tx, source: str, reason: str, body: str | None, delivery_id: str | None) -> None:
    tx.execute(
        "INSERT INTO rejected_deliveries (source, delivery_id, reason, body) "
        "VALUES (%s, %s, %s, %s)",
        (source, _clean(delivery_id), scrub(reason)[:1000], _clean(body)),
    )
