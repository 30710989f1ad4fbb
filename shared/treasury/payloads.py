"""A Stripe event's payload reduced to what the ledger reads (``movements.interpret``
and the user lookup): type, time, connected account, and of its object the id, kind,
amounts, currency and references. Names, e-mail addresses, card and address details
and metadata are dropped. Retention reduces payloads after
``RETENTION_STRIPE_PAYLOAD_DAYS``; erasure reduces them at once. A reduced ``unassigned``
event can still be applied when its customer is linked."""

from __future__ import annotations

from typing import Any

from shared.treasury.movements import reference

EVENT_FIELDS = ("id", "object", "type", "created", "account", "api_version", "livemode")
OBJECT_FIELDS = (
    "id",
    "object",
    "mode",
    "payment_status",
    "status",
    "amount",
    "amount_total",
    "amount_paid",
    "amount_refunded",
    "currency",
)
REFERENCES = ("customer", "payment_intent", "invoice", "charge")


def reduced(payload: dict[str, Any]) -> dict[str, Any]:
    data = payload.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    kept: dict[str, Any] = {k: payload[k] for k in EVENT_FIELDS if k in payload}
    if isinstance(obj, dict):
        small = {k: obj[k] for k in OBJECT_FIELDS if k in obj}
        small.update({k: reference(obj[k]) for k in REFERENCES if k in obj})
        kept["data"] = {"object": small}
    return kept
