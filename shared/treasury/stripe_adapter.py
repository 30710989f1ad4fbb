"""The one place the ``stripe`` library is used: verifying that a webhook body was
signed by Stripe with this endpoint's secret, and recent (Stripe's scheme: header
``t=<unix time>,v1=<HMAC-SHA256 of "<t>.<body>">``)."""

from __future__ import annotations

import json
from typing import Any

from shared.errors import BadRequest

TOLERANCE_SECONDS = 300


def verified_event(payload: bytes, signature: str | None, secret: str) -> dict[str, Any]:
    """The event as plain JSON once its signature checks out; ``BadRequest`` when the
    header is missing, forged, signed with another secret, or older than the tolerance."""
    import stripe  # imported here: the SDK is only needed by this function

    try:
        stripe.Webhook.construct_event(payload, signature, secret, tolerance=TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as exc:
        raise BadRequest(f"Stripe-Signature rejected: {exc.user_message or exc}") from None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("webhook body is not a JSON Stripe event") from None
    # The verified bytes are parsed again as plain dicts: the domain code reads JSON,
    # not the SDK's attribute objects.
    event = json.loads(payload)
    if not isinstance(event, dict):
        raise BadRequest("webhook body is not a JSON Stripe event")
    return event


def signature_header(payload: str, secret: str) -> str:
    """A ``Stripe-Signature`` header for ``payload`` signed now, made by the library's
    own helper: lets a person post a test event to a local webhook."""
    import stripe

    header: str = stripe.WebhookSignature.generate_signature_header(payload, secret)
    return header
