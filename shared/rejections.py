"""Deliveries that can never be processed (a poison Pub/Sub message, a Cloud Scheduler
job with a malformed body) are acknowledged, so they are not retried forever, and kept
here for inspection."""

from __future__ import annotations

from shared.db import get_database
from shared.logs import get

log = get(__name__)


def _clean(text: str | None) -> str | None:
    return text.replace("\x00", "\ufffd") if text is not None else None


def record_rejection(
    source: str, reason: str, *, body: str | None, delivery_id: str | None
) -> None:
    log.warning(
        "delivery rejected: %s", reason, extra={"source": source, "deliveryId": delivery_id}
    )
    with get_database().transaction() as tx:
        tx.execute(
            "INSERT INTO rejected_deliveries (source, delivery_id, reason, body) "
            "VALUES (%s, %s, %s, %s)",
            (source, _clean(delivery_id), reason.replace("\x00", "\ufffd")[:1000], _clean(body)),
        )
