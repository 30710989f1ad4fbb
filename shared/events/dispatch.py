"""Dispatch of one delivered event: what ``event-dispatch`` runs for each CloudEvent,
and what the per-minute job runs for an event no delivery finished
(``shared.events.redispatch``).

Pub/Sub delivers at least once, so the event row in ``usage_events`` is the claim:
a delivery takes it from ``pending`` to ``dispatching`` under a row lock with a lease,
runs the user's matching triggers, and marks it ``dispatched``. A redelivery of a
dispatched event runs nothing; one that arrives while another delivery holds the lease
is acknowledged too (``in_progress``) and runs nothing: the holder finishes the event,
and when the holder dies the per-minute job takes it over once the lease ran out, so
nothing depends on Pub/Sub delivering it again. Each workflow run carries the
idempotency key ``event:<event id>:<trigger id>``, and each (event, trigger) is
recorded and counted in one transaction, so a dispatch taken over after a crash runs
and counts nothing twice. A delivery that can never be processed is acknowledged and
recorded in ``rejected_deliveries``; a database outage raises ``Retryable`` (non-2xx,
redelivered, and in any case finished by the per-minute job)."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from shared import logs, storable
from shared.config import get_settings
from shared.db import Row, Tx, get_database
from shared.events import triggers
from shared.events.envelope import Envelope, Unprocessable, decode_delivery
from shared.rejections import record_rejection

log = logs.get(__name__)

Status = Literal["dispatched", "duplicate", "in_progress", "too_deep", "throttled", "rejected"]
SOURCE = "event-dispatch"


@dataclass
class Outcome:
    status: Status
    event_id: str | None = None
    triggered: list[dict[str, Any]] = field(default_factory=list)


def deliver(data: Any, *, delivery_id: str | None = None) -> Outcome:
    """Handle one Eventarc ``messagePublished`` CloudEvent's data."""
    try:
        envelope, message_id = decode_delivery(data)
    except Unprocessable as exc:
        reject(exc.reason, body=exc.body, delivery_id=exc.delivery_id or delivery_id)
        return Outcome("rejected")
    return dispatch(envelope, delivery_id=message_id or delivery_id)


def dispatch(envelope: Envelope, *, delivery_id: str | None = None) -> Outcome:
    event_id = str(envelope.event_id)
    claimed = _claim(envelope, delivery_id)
    if isinstance(claimed, str):
        log.info("event not dispatched: %s", claimed, extra={"eventId": event_id})
        return Outcome(claimed, event_id)
    try:
        done = triggers.fire(claimed)
        _finish(event_id)
    except BaseException:
        _release(event_id)
        raise
    log.info("event dispatched", extra={"eventId": event_id, "triggered": len(done)})
    return Outcome("dispatched", event_id, done)


def reject(reason: str, *, body: str | None, delivery_id: str | None) -> None:
    record_rejection(SOURCE, reason, body=body, delivery_id=delivery_id)


def screen(raw: bytes, *, delivery_id: str | None) -> bool:
    """Whether a delivery's body may be parsed at all; one nested past ``JSON_MAX_DEPTH``
    (a CloudEvent nests a few levels) is recorded instead, before any recursive parser
    meets it."""
    bounds = storable.Bounds.of()
    if storable.text_depth(raw.decode("utf-8", "replace")) <= bounds.max_depth:
        return True
    reject(
        f"CloudEvent {storable.too_deep(bounds)}",
        body=raw[:10_000].decode("utf-8", "replace"),
        delivery_id=delivery_id,
    )
    return False


def _claim(envelope: Envelope, delivery_id: str | None) -> Row | Status:
    """The event row, now ``dispatching`` under this delivery's lease; or why not."""
    settings = get_settings()
    event_id = str(envelope.event_id)
    with get_database().transaction() as tx:
        # Normally recorded before it was published; an event someone else published
        # is recorded here, so the log and the dedupe cover it too.
        tx.execute(
            "INSERT INTO usage_events (id, user_id, event_type, event_data, depth, chain, "
            "occurred_at, published_at) VALUES (%s, %s, %s, %s::jsonb, %s, %s::jsonb, "
            "coalesce(%s, now()), now()) ON CONFLICT (id) DO NOTHING",
            (
                event_id,
                envelope.user_id,
                envelope.event_type,
                json.dumps(envelope.payload, default=str),
                envelope.depth,
                json.dumps(envelope.wire()["chain"]),
                envelope.occurred_at,
            ),
        )
        row = tx.one(
            "SELECT id, user_id, event_type, event_data, depth, chain, dispatch_status, triggered, "
            "coalesce(dispatch_lease_until > now(), false) AS leased "
            "FROM usage_events WHERE id = %s FOR UPDATE",
            (event_id,),
        )
        assert row is not None
        if (row["user_id"], row["event_type"]) != (envelope.user_id, envelope.event_type):
            record_rejection(
                SOURCE,
                "eventId belongs to another event",
                body=envelope.data().decode(),
                delivery_id=delivery_id,
                tx=tx,
            )
            return "rejected"
        if row["dispatch_status"] in ("dispatched", "too_deep", "throttled", "rejected"):
            return "duplicate"
        if row["dispatch_status"] == "dispatching" and row["leased"]:
            return "in_progress"  # the holder finishes it; if it dies, the per-minute job
        tx.execute(
            "UPDATE usage_events SET published_at = coalesce(published_at, now()) WHERE id = %s",
            (event_id,),
        )
        if row["depth"] > settings.event_max_depth:
            tx.execute(
                "UPDATE usage_events SET dispatch_status = 'too_deep', dispatched_at = now(), "
                "detail = %s WHERE id = %s",
                (
                    f"depth {row['depth']} is past EVENT_MAX_DEPTH {settings.event_max_depth}",
                    event_id,
                ),
            )
            return "too_deep"
        if (
            row["depth"] > 0
            and _chained_last_minute(tx, row["user_id"]) >= settings.event_chain_per_minute
        ):
            # Depth bounds how long a chain of events gets; this bounds how wide: one
            # run may emit several events, each matching several triggers.
            tx.execute(
                "UPDATE usage_events SET dispatch_status = 'throttled', dispatched_at = now(), "
                "detail = %s WHERE id = %s",
                (
                    "more than EVENT_CHAIN_PER_MINUTE "
                    f"({settings.event_chain_per_minute}) events caused by events this minute",
                    event_id,
                ),
            )
            return "throttled"
        tx.execute(
            "UPDATE usage_events SET dispatch_status = 'dispatching', "
            "dispatch_lease_until = now() + make_interval(secs => %s) WHERE id = %s",
            (settings.event_dispatch_lease_seconds, event_id),
        )
    return row


def _chained_last_minute(tx: Tx, user_id: str) -> int:
    """Events of this user caused by other events and dispatched in the last minute."""
    return int(
        tx.scalar(
            "SELECT count(*) FROM usage_events WHERE user_id = %s AND depth > 0 "
            "AND created_at > now() - interval '1 hour' AND dispatch_status = 'dispatched' "
            "AND dispatched_at > now() - interval '1 minute'",
            (user_id,),
        )
    )


def _finish(event_id: str) -> None:
    with get_database().transaction() as tx:
        tx.execute(
            "UPDATE usage_events SET dispatch_status = 'dispatched', dispatched_at = now(), "
            "dispatch_lease_until = NULL WHERE id = %s",
            (event_id,),
        )


def _release(event_id: str) -> None:
    """Give the event back at once so a redelivery need not wait for the lease. When
    the database is what failed this cannot run either, and the lease runs out instead."""
    with contextlib.suppress(Exception), get_database().transaction() as tx:
        tx.execute(
            "UPDATE usage_events SET dispatch_status = 'pending', dispatch_lease_until = NULL "
            "WHERE id = %s AND dispatch_status = 'dispatching'",
            (event_id,),
        )
