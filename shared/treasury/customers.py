"""Which NEXUS user a Stripe event belongs to: the ``nexus_user_id`` metadata when the
event carries it, else the stored customer -> user mapping (learned from events that
carry both, or set with ``segp treasury link``), else, for a refund, the user of the
payment it refunds."""

from __future__ import annotations

from shared import logs
from shared.db import Tx
from shared.treasury.movements import Movement

log = logs.get(__name__)


def learn(tx: Tx, customer_id: str, user_id: str) -> bool:
    """Remember the mapping from an event that names both; whether it is new. The
    first mapping stands: a later event naming another user for the same customer is
    logged, not applied (``link`` changes a mapping on purpose)."""
    row = tx.one(
        "INSERT INTO stripe_customers (customer_id, user_id) VALUES (%s, %s) "
        "ON CONFLICT (customer_id) DO NOTHING RETURNING user_id",
        (customer_id, user_id),
    )
    if row is not None:
        return True
    known = tx.scalar("SELECT user_id FROM stripe_customers WHERE customer_id = %s", (customer_id,))
    if known != user_id:
        log.warning(
            "Stripe customer already mapped to another user; mapping kept",
            extra={"stripe_customer_id": customer_id},
        )
    return False


def link(tx: Tx, customer_id: str, user_id: str) -> None:
    """Set (or change) the user of a Stripe customer or connected account."""
    tx.execute(
        "INSERT INTO stripe_customers (customer_id, user_id) VALUES (%s, %s) "
        "ON CONFLICT (customer_id) DO UPDATE SET user_id = EXCLUDED.user_id",
        (customer_id, user_id),
    )


def user_of(tx: Tx, movement: Movement | None, account: str | None) -> str | None:
    """The user by mapping when the event names none: its customer, its connected
    account (payouts), or the payment a refund undoes."""
    for party in (movement.customer_id if movement else None, account):
        if party:
            user = tx.scalar(
                "SELECT user_id FROM stripe_customers WHERE customer_id = %s", (party,)
            )
            if user:
                return str(user)
    if movement is not None and movement.kind == "refund":
        refs = [r for r in (movement.payment_intent_id, movement.invoice_id) if r]
        if refs:
            user = tx.scalar(
                "SELECT user_id FROM revenue_ledger WHERE kind = 'payment' "
                "AND (stripe_payment_intent_id = ANY(%s) OR stripe_object_id = ANY(%s)) "
                "ORDER BY occurred_at LIMIT 1",
                (refs, refs),
            )
            if user:
                return str(user)
    return None
