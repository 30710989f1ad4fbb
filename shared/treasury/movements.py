"""What a verified Stripe event means for the ledger, decided without I/O.

Stripe amounts are already integer minor units (cents, or yen for zero-decimal
currencies); they stay integers here, and anything that is not one is refused rather
than rounded. So is one past ``MAX_AMOUNT_MINOR``: Stripe's own limits are far below
it, and the ledger's bigint column and its sums stay far from overflowing. Which NEXUS user an event belongs to is read from the metadata key
``nexus_user_id``; where Stripe puts metadata differs by object and API version, so
every place it is known to appear is read."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

Kind = Literal["payment", "refund", "payout"]
USER_KEY = "nexus_user_id"
CURRENCY = re.compile(r"^[a-z]{3}$")
MAX_AMOUNT_MINOR = 10**15  # far above any real amount, well inside bigint

PAYMENT_TYPES = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "invoice.paid",
)
HANDLED_TYPES = (*PAYMENT_TYPES, "charge.refunded", "payout.paid")


class NotAMovement(Exception):
    """The event is recorded but moves no money (the message says why)."""


class Malformed(Exception):
    """The event lacks a field Stripe always sends: recorded as invalid, never retried."""


@dataclass(frozen=True)
class Movement:
    """One money movement. For a refund ``amount_minor`` is the charge's cumulative
    ``amount_refunded``: the ledger records only what this event adds to it."""

    kind: Kind
    amount_minor: int
    currency: str
    object_id: str
    customer_id: str | None
    payment_intent_id: str | None
    invoice_id: str | None
    occurred_at: datetime


def _int(obj: dict[str, Any], key: str) -> int:
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_AMOUNT_MINOR:
        raise Malformed(
            f"{key} must be an integer amount in minor units from 0 to {MAX_AMOUNT_MINOR}"
        )
    return value


def reference(value: Any) -> str | None:
    """A Stripe reference: an id string, or an expanded object carrying one."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def event_object(event: dict[str, Any]) -> dict[str, Any]:
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise Malformed("data.object is missing")
    return obj


def occurred_at(event: dict[str, Any]) -> datetime:
    created = event.get("created")
    if not isinstance(created, int) or isinstance(created, bool):
        raise Malformed("created must be a unix timestamp")
    try:
        return datetime.fromtimestamp(created, UTC)
    except (OverflowError, OSError, ValueError):
        raise Malformed("created must be a unix timestamp") from None


def nexus_user_id(obj: dict[str, Any]) -> str | None:
    """The user named in metadata: the object's own, else (invoices) the metadata of
    the subscription it bills, which Stripe copies to ``subscription_details`` (before
    the 2025-03-31 API) or ``parent.subscription_details`` (from it on)."""
    parent = obj.get("parent")
    places = [
        obj.get("metadata"),
        (obj.get("subscription_details") or {}).get("metadata"),
        ((parent or {}).get("subscription_details") or {}).get("metadata")
        if isinstance(parent, dict)
        else None,
    ]
    for metadata in places:
        if isinstance(metadata, dict):
            value = metadata.get(USER_KEY)
            if isinstance(value, str) and value.strip() and len(value.strip()) <= 200:
                return value.strip()
    return None


def interpret(event: dict[str, Any]) -> Movement:
    """The movement an event of a handled type records; ``NotAMovement`` when it is
    one that moves no money (an unpaid or subscription checkout, a zero invoice)."""
    etype = event.get("type")
    obj = event_object(event)
    if etype in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        if obj.get("mode") == "subscription":
            # The subscription's first invoice sends invoice.paid: counting both would
            # record the same money twice.
            raise NotAMovement("subscription checkout: its invoice.paid records the payment")
        if obj.get("payment_status") != "paid":
            raise NotAMovement(f"checkout payment_status is {obj.get('payment_status')!r}")
        return _movement(event, obj, "payment", "amount_total", reference(obj.get("invoice")))
    if etype == "invoice.paid":
        return _movement(event, obj, "payment", "amount_paid", reference(obj.get("id")))
    if etype == "charge.refunded":
        return _movement(event, obj, "refund", "amount_refunded", reference(obj.get("invoice")))
    if etype == "payout.paid":
        return _movement(event, obj, "payout", "amount", None)
    raise NotAMovement(f"event type {etype!r} is not handled")


def _movement(
    event: dict[str, Any], obj: dict[str, Any], kind: Kind, amount_key: str, invoice: str | None
) -> Movement:
    currency = obj.get("currency")
    if not isinstance(currency, str) or not CURRENCY.match(currency.lower()):
        raise Malformed("currency must be a three-letter ISO code")
    object_id = reference(obj.get("id"))
    if object_id is None:
        raise Malformed("data.object.id is missing")
    amount = _int(obj, amount_key)
    if amount == 0:
        raise NotAMovement(f"{kind} of amount 0")
    return Movement(
        kind=kind,
        amount_minor=amount,
        currency=currency.lower(),
        object_id=object_id,
        customer_id=reference(obj.get("customer")),
        payment_intent_id=reference(obj.get("payment_intent")),
        invoice_id=invoice,
        occurred_at=occurred_at(event),
    )
