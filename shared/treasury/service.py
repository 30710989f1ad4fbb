"""Receiving a Stripe webhook: verify, record the event once, write its ledger row,
emit the revenue events and re-check thresholds, all in one transaction.

Idempotency: the event id is ``stripe_events``' primary key and is claimed with
``INSERT ... ON CONFLICT DO NOTHING`` in the same transaction as the ledger row and
the outbox events. A redelivery finds the id taken and changes nothing; a concurrent
redelivery waits on the first one's uncommitted key, then finds it taken (or, if the
first rolled back, processes the event itself)."""

from __future__ import annotations

import json
from dataclasses import dataclass
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
    outcome = _apply(tx, event_id, etype, event)
    tx.execute(
        "UPDATE stripe_events SET status = %s, user_id = %s, detail = %s WHERE id = %s",
        (outcome.status, outcome.user_id, outcome.detail, event_id),
    )
    return outcome


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
    if named and customer:
        customers.learn(tx, customer, named)
    account = event.get("account") if isinstance(event.get("account"), str) else None
    user = named or customers.user_of(tx, movement, account)
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
