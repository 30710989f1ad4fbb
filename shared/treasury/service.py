"""Receiving a Stripe webhook: verify, record the event once, write its ledger row,
emit the revenue events and re-check thresholds, all in one transaction.

Idempotency: the event id is ``stripe_events``' primary key and is claimed with
``INSERT ... ON CONFLICT DO NOTHING`` in the same transaction as the ledger row and
the outbox events. A redelivery finds the id taken and changes nothing; a concurrent
redelivery waits on the first one's uncommitted key, then finds it taken (or, if the
first rolled back, processes the event itself).

An event recorded ``unassigned`` (no user known for its customer yet) is applied when
a mapping for that customer appears (``link``, or a later event naming both): under a
row lock and only while still ``unassigned``, so each is applied once, with its
revenue and threshold events."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from shared import logs
from shared.config import get_settings
from shared.db import Tx, get_database
from shared.errors import BadRequest, Retryable
from shared.events import outbox
from shared.treasury import customers, ledger, thresholds
from shared.treasury.movements import (
    HANDLED_TYPES,
    Malformed,
    Movement,
    NotAMovement,
    event_object,
    interpret,
    nexus_user_id,
    reference,
)
from shared.treasury.stripe_adapter import verified_event

log = logs.get(__name__)

MOVEMENT_EVENTS = {
    "payment": "revenue.received",
    "refund": "revenue.refunded",
    "payout": "revenue.payout_paid",
}


@dataclass(frozen=True)
class Outcome:
    """What became of one delivery. ``status``: recorded (a ledger row was written),
    ignored (no money moved, or a type not handled), unassigned (no known user),
    invalid (a field Stripe always sends was wrong), duplicate (seen before)."""

    event_id: str
    status: str
    user_id: str | None = None
    detail: str | None = None
    ledger_id: str | None = None
    learned: str | None = None  # the customer whose user this event made known

    def body(self) -> dict[str, Any]:
        return {
            "received": True,
            "eventId": self.event_id,
            "status": self.status,
            **({"detail": self.detail} if self.detail else {}),
        }


def receive(payload: bytes, signature: str | None) -> Outcome:
    """The webhook's whole job; raises ``BadRequest`` for a body that is not a
    correctly signed, recent Stripe event (nothing is recorded then)."""
    secret = get_settings().stripe_webhook_secret
    if not secret:
        raise Retryable(
            "STRIPE_WEBHOOK_SECRET is not configured: Stripe signatures cannot be verified"
        )
    event = verified_event(payload, signature, secret)
    event_id, etype = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 255:
        raise BadRequest("the Stripe event has no id")
    if not isinstance(etype, str) or not etype:
        raise BadRequest("the Stripe event has no type")
    with get_database().transaction() as tx:
        outcome = process(tx, event_id, etype, event)
    log.info("stripe event %s", outcome.status, extra={"stripe_event_id": event_id, "type": etype})
    return outcome


def process(tx: Tx, event_id: str, etype: str, event: dict[str, Any]) -> Outcome:
    claimed = tx.one(
        "INSERT INTO stripe_events (id, type, payload) VALUES (%s, %s, %s::jsonb) "
        "ON CONFLICT (id) DO NOTHING RETURNING id",
        (event_id, etype, json.dumps(event)),
    )
    if claimed is None:
        return Outcome(event_id, "duplicate", detail="event already received")
    outcome = _settle(tx, event_id, etype, event)
    if outcome.learned:
        reprocess(tx, outcome.learned)
    return outcome


def _settle(tx: Tx, event_id: str, etype: str, event: dict[str, Any]) -> Outcome:
    outcome = _apply(tx, event_id, etype, event)
    tx.execute(
        "UPDATE stripe_events SET status = %s, user_id = %s, detail = %s WHERE id = %s",
        (outcome.status, outcome.user_id, outcome.detail, event_id),
    )
    return outcome


def link(tx: Tx, party: str, user_id: str) -> int:
    """Credit a Stripe customer or connected account to a user (``segp treasury
    link``); returns how many of its unassigned events were applied now."""
    customers.link(tx, party, user_id)
    return reprocess(tx, party)


def reprocess(tx: Tx, party: str) -> int:
    """Apply the unassigned events of a customer or connected account, oldest first.
    ``FOR UPDATE`` re-checks the status after waiting, so a concurrent reprocessing
    of the same events skips what the other one applied."""
    rows = tx.all(
        "SELECT id, type, payload FROM stripe_events WHERE status = 'unassigned' "
        "AND %s IN (payload #>> '{data,object,customer}', "
        "payload #>> '{data,object,customer,id}', payload ->> 'account') "
        "ORDER BY received_at, id FOR UPDATE",
        (party,),
    )
    applied = 0
    for row in rows:
        outcome = _settle(tx, row["id"], row["type"], row["payload"])
        applied += outcome.status != "unassigned"
        log.info(
            "unassigned stripe event reprocessed: %s",
            outcome.status,
            extra={"stripe_event_id": row["id"], "type": row["type"]},
        )
    return applied


def _apply(tx: Tx, event_id: str, etype: str, event: dict[str, Any]) -> Outcome:
    if etype not in HANDLED_TYPES:
        return Outcome(event_id, "ignored", detail=f"event type {etype!r} is not handled")
    try:
        obj = event_object(event)
        named = nexus_user_id(obj)
        movement, skipped = _movement_of(event)
    except Malformed as exc:
        return Outcome(event_id, "invalid", detail=str(exc))
    customer = reference(obj.get("customer"))
    learned = named and customer and customers.learn(tx, customer, named)
    account = event.get("account") if isinstance(event.get("account"), str) else None
    user = named or customers.user_of(tx, movement, account)
    outcome = _record(tx, event_id, etype, user, movement, skipped)
    return replace(outcome, learned=customer if learned else None)


def _record(
    tx: Tx,
    event_id: str,
    etype: str,
    user: str | None,
    movement: Movement | None,
    skipped: str,
) -> Outcome:
    if movement is None:
        return Outcome(event_id, "ignored", user, detail=skipped)
    if user is None:
        return Outcome(event_id, "unassigned", detail="no nexus_user_id and no known customer")
    row = ledger.record(tx, user, event_id, movement)
    if row is None:
        return Outcome(event_id, "ignored", user, detail="refund already recorded in full")
    payload = {
        "ledger_id": str(row["id"]),
        "kind": movement.kind,
        "amount_minor": row["amount_minor"],
        "currency": movement.currency,
        "stripe_event_id": event_id,
        "stripe_event_type": etype,
        "stripe_object_id": movement.object_id,
        "stripe_customer_id": movement.customer_id,
        "occurred_at": movement.occurred_at.isoformat(),
    }
    outbox.record(tx, user, MOVEMENT_EVENTS[movement.kind], payload)
    thresholds.evaluate(
        tx,
        user,
        movement.currency,
        cause={"stripe_event_id": event_id, "ledger_id": str(row["id"])},
    )
    return Outcome(event_id, "recorded", user, ledger_id=str(row["id"]))


def _movement_of(event: dict[str, Any]) -> tuple[Movement | None, str]:
    try:
        return interpret(event), ""
    except NotAMovement as why:
        return None, str(why)
