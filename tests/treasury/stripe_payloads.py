"""Stripe webhook deliveries as Stripe sends them: event JSON shaped like the API's
objects, signed with the stripe library's own helper (``t=<time>,v1=<HMAC-SHA256>``)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

SECRET = "whsec_test_0123456789abcdef"


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


def event(
    etype: str, obj: dict[str, Any], *, created: int | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "id": new_id("evt"),
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": int(time.time()) if created is None else created,
        "livemode": False,
        "pending_webhooks": 1,
        "type": etype,
        "data": {"object": obj},
        **extra,
    }


def invoice_paid(
    amount: int,
    *,
    user: str | None = None,
    customer: str | None = None,
    currency: str = "usd",
    where: str = "parent",
    created: int | None = None,
) -> dict[str, Any]:
    """``where`` puts nexus_user_id where an API version puts subscription metadata:
    ``parent`` (2025-03-31 on), ``subscription_details`` (before), or ``metadata``."""
    meta = {"nexus_user_id": user} if user else {}
    obj: dict[str, Any] = {
        "id": new_id("in"),
        "object": "invoice",
        "amount_due": amount,
        "amount_paid": amount,
        "currency": currency,
        "customer": customer or new_id("cus"),
        "status": "paid",
        "metadata": meta if where == "metadata" else {},
    }
    if where == "parent":
        obj["parent"] = {
            "type": "subscription_details",
            "subscription_details": {"metadata": meta, "subscription": new_id("sub")},
        }
    elif where == "subscription_details":
        obj["subscription_details"] = {"metadata": meta}
        obj["payment_intent"] = new_id("pi")
    return event("invoice.paid", obj, created=created)


def checkout_completed(
    amount: int,
    *,
    user: str | None = None,
    customer: str | None = None,
    currency: str = "usd",
    mode: str = "payment",
    payment_status: str = "paid",
    payment_intent: str | None = None,
    created: int | None = None,
) -> dict[str, Any]:
    obj = {
        "id": new_id("cs"),
        "object": "checkout.session",
        "amount_total": amount,
        "currency": currency,
        "customer": customer,
        "mode": mode,
        "payment_status": payment_status,
        "payment_intent": payment_intent or new_id("pi"),
        "metadata": {"nexus_user_id": user} if user else {},
    }
    return event("checkout.session.completed", obj, created=created)


def charge_refunded(
    charge: str,
    amount: int,
    amount_refunded: int,
    *,
    customer: str | None = None,
    payment_intent: str | None = None,
    currency: str = "usd",
    user: str | None = None,
) -> dict[str, Any]:
    obj = {
        "id": charge,
        "object": "charge",
        "amount": amount,
        "amount_refunded": amount_refunded,
        "refunded": amount_refunded == amount,
        "currency": currency,
        "customer": customer,
        "payment_intent": payment_intent,
        "metadata": {"nexus_user_id": user} if user else {},
    }
    return event("charge.refunded", obj)


def payout_paid(amount: int, *, user: str, currency: str = "usd") -> dict[str, Any]:
    obj = {
        "id": new_id("po"),
        "object": "payout",
        "amount": amount,
        "currency": currency,
        "status": "paid",
        "metadata": {"nexus_user_id": user},
    }
    return event("payout.paid", obj)


def signed(
    evt: dict[str, Any], secret: str = SECRET, timestamp: int | None = None
) -> tuple[str, str]:
    """The body and its ``Stripe-Signature`` header, as Stripe would send them."""
    import stripe

    body = json.dumps(evt)
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp)
    return body, header


def deliver(client: Any, evt: dict[str, Any], **sign: Any) -> Any:
    body, header = signed(evt, **sign)
    return client.post(
        "/", data=body, headers={"Stripe-Signature": header, "Content-Type": "application/json"}
    )
