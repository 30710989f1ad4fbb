"""Dispatch of one delivered event: what ``event-dispatch`` runs for each CloudEvent,
and what the per-minute job runs for an event no delivery finished
(``shared.events.redispatch``).

Pub/Sub delivers at least once, so the event row in ``usage_events`` is the claim
(``shared.events.claim``): one transaction locks it, settles what needs no execution of
its own (triggers not run because of a cycle, runs of workflows whose steps are all
pure, executed in place by ``engine.run_inline``) and writes the row once: then
``dispatched``, all in one commit. When a trigger's workflow has a step that acts, the
row is left ``dispatching`` under this delivery's lease, those runs start the usual
way, and the row is marked ``dispatched`` after. The dispatch listeners
(``shared.events.handlers``: runs waiting for an event) hear of a dispatched event
when one of them expects it by what the claim's transaction reads (a run of its user
waits for its type): that read is the moment the event is dispatched, so a wait counts
the events whose claim found it begun, and one that begins while a dispatch is in
flight waits for the next. The row is then left ``dispatching`` and marked
``dispatched`` once they heard it, so a crash in between is finished by the
per-minute job; an event nobody expects is settled with no second transaction. A redelivery of a dispatched event
runs nothing; one that arrives while another delivery holds the lease is acknowledged
too (``in_progress``) and runs nothing: the holder finishes the event, and when the
holder dies the per-minute job takes it over once the lease ran out, so nothing depends
on Pub/Sub delivering it again. Each workflow run carries the idempotency key
``event:<event id>:<trigger id>``, and each (event, trigger) is recorded and counted in
one transaction, so a dispatch taken over after a crash runs and counts nothing twice.
A delivery that can never be processed is acknowledged and recorded in
``rejected_deliveries``; a database outage raises ``Retryable`` (non-2xx, redelivered,
and in any case finished by the per-minute job)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Literal

from shared import logs, storable
from shared.config import get_settings
from shared.db import Row, Tx, get_database
from shared.events import claim, triggers
from shared.events.envelope import Envelope, Unprocessable, decode_delivery
from shared.events.handlers import expectations, expected, notify_listeners
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
    try:
        return _dispatch(envelope, delivery_id)
    except claim.Raced:  # another delivery recorded the event (or a run) first: go on
        return _dispatch(envelope, delivery_id, inline=False)  # from what it recorded


def _dispatch(envelope: Envelope, delivery_id: str | None, inline: bool = True) -> Outcome:
    event_id, wire = str(envelope.event_id), envelope.wire()
    try:
        with get_database().transaction() as tx:
            # the claim, the user's triggers of the type and what the listeners expect
            # are independent reads: one round trip
            expecting = expectations(wire)
            lock, active, *answers = tx.batch(
                [
                    claim.lock_query(envelope),
                    triggers.active_query(envelope.user_id, envelope.event_type),
                    *expecting,
                ]
            )
            claimed = _claim(tx, envelope, claim.locked(envelope, lock), delivery_id)
            if not isinstance(claimed, str):
                here = triggers.fire_inline(tx, claimed, active, runs=inline)
                done, settled = here.triggered, here.settled
                # a listener that expects the event keeps the lease until it heard it
                final = settled and not expected(answers)
                status = "dispatched" if final else "dispatching"
                claim.write(tx, claimed, status, triggered=done, along=here.counting)
    except Exception as exc:
        if claim.raced(exc) or triggers.run_key_taken(exc):
            raise claim.Raced(event_id) from exc
        raise
    if isinstance(claimed, str):
        log.info("event not dispatched: %s", claimed, extra={"eventId": event_id})
        return Outcome(claimed, event_id)
    if not final:
        try:
            if not settled:
                done = triggers.fire({**claimed, "triggered": done})
            notify_listeners(wire)
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


def _claim(tx: Tx, envelope: Envelope, row: Row, delivery_id: str | None) -> Row | Status:
    """The event row, locked in ``tx`` (``row``), for this delivery to dispatch; or
    why not (the row then records it)."""
    settings = get_settings()
    if row["retired"]:
        return "duplicate"  # dispatched long ago, its row purged or erased since
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
    if row["depth"] > settings.event_max_depth:
        detail = f"depth {row['depth']} is past EVENT_MAX_DEPTH {settings.event_max_depth}"
        claim.write(tx, row, "too_deep", detail=detail)
        return "too_deep"
    if (
        row["depth"] > 0
        and _chained_last_minute(tx, row["user_id"]) >= settings.event_chain_per_minute
    ):
        # Depth bounds how long a chain of events gets; this bounds how wide: one
        # run may emit several events, each matching several triggers.
        detail = (
            "more than EVENT_CHAIN_PER_MINUTE "
            f"({settings.event_chain_per_minute}) events caused by events this minute"
        )
        claim.write(tx, row, "throttled", detail=detail)
        return "throttled"
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
