"""The revenue ledger: one row per money movement, amounts as signed integers in minor
units. A payment is positive, a refund negative (so a plain SUM nets them), a payout
positive with kind ``payout``: payouts move money to the bank and are not revenue, so
revenue totals count payments and refunds only."""

from __future__ import annotations

from typing import Any

from shared import keyset
from shared.db import Row, Tx
from shared.treasury.movements import Movement

REVENUE_KINDS = ("payment", "refund")
COLUMNS = (
    "id, user_id, kind, amount_minor, currency, stripe_event_id, stripe_object_id, "
    "stripe_customer_id, stripe_payment_intent_id, occurred_at, created_at"
)


def record(tx: Tx, user_id: str, event_id: str, movement: Movement) -> Row | None:
    """Write the movement's row; ``None`` when it adds nothing (a refund event whose
    cumulative amount is already recorded, e.g. an older event arriving late)."""
    amount = movement.amount_minor
    if movement.kind == "refund":
        # charge.refunded carries the charge's cumulative amount_refunded: the row is
        # what this event adds. Refunds of one charge are serialised so two partial
        # refunds arriving together cannot both claim the same difference.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            ("treasury.refund:" + movement.object_id,),
        )
        already = -int(
            tx.scalar(
                "SELECT COALESCE(SUM(amount_minor), 0) FROM revenue_ledger "
                "WHERE user_id = %s AND kind = 'refund' AND stripe_object_id = %s",
                (user_id, movement.object_id),
            )
        )
        amount = -(movement.amount_minor - already)
        if amount >= 0:
            return None
    return tx.one(
        "INSERT INTO revenue_ledger (user_id, stripe_event_id, kind, amount_minor, currency, "
        "stripe_object_id, stripe_customer_id, stripe_payment_intent_id, occurred_at) "
        f"VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING {COLUMNS}",
        (
            user_id,
            event_id,
            movement.kind,
            amount,
            movement.currency,
            movement.object_id,
            movement.customer_id,
            movement.payment_intent_id,
            movement.occurred_at,
        ),
    )


def net_revenue(tx: Tx, user_id: str, currency: str, period_days: int) -> int:
    """Payments less refunds of one currency over the last ``period_days``."""
    return int(
        tx.scalar(
            "SELECT COALESCE(SUM(amount_minor), 0) FROM revenue_ledger "
            "WHERE user_id = %s AND currency = %s AND kind IN ('payment', 'refund') "
            "AND occurred_at >= now() - make_interval(days => %s)",
            (user_id, currency, period_days),
        )
    )


def totals(tx: Tx, user_id: str, period_days: int) -> list[dict[str, Any]]:
    """Per currency: payments, refunds (as a positive amount), net revenue and payouts,
    over the last ``period_days`` and over all time."""
    rows = tx.all(
        "WITH t AS (SELECT *, occurred_at >= now() - make_interval(days => %s) AS recent "
        "FROM revenue_ledger WHERE user_id = %s) "
        "SELECT currency, "
        "SUM(amount_minor) FILTER (WHERE kind = 'payment') AS payments, "
        "-SUM(amount_minor) FILTER (WHERE kind = 'refund') AS refunds, "
        "SUM(amount_minor) FILTER (WHERE kind = 'payout') AS payouts, "
        "SUM(amount_minor) FILTER (WHERE kind = 'payment' AND recent) AS p_payments, "
        "-SUM(amount_minor) FILTER (WHERE kind = 'refund' AND recent) AS p_refunds, "
        "SUM(amount_minor) FILTER (WHERE kind = 'payout' AND recent) AS p_payouts "
        "FROM t GROUP BY currency ORDER BY currency",
        (period_days, user_id),
    )
    return [
        {
            "currency": r["currency"],
            "period": _figures(r["p_payments"], r["p_refunds"], r["p_payouts"]),
            "all_time": _figures(r["payments"], r["refunds"], r["payouts"]),
        }
        for r in rows
    ]


def _figures(payments: Any, refunds: Any, payouts: Any) -> dict[str, int]:
    p, r, o = int(payments or 0), int(refunds or 0), int(payouts or 0)
    return {"payments": p, "refunds": r, "net": p - r, "payouts": o}


def page(
    tx: Tx,
    user_id: str,
    *,
    limit: int,
    cursor: str | None = None,
    kind: str | None = None,
    currency: str | None = None,
) -> dict[str, Any]:
    """Entries newest first; ``next_cursor`` continues after the last one (keyset on
    occurred_at and id, so entries added meanwhile neither repeat nor shift the page)."""
    rows, next_cursor = keyset.page(
        tx,
        f"SELECT {COLUMNS} FROM revenue_ledger",
        {"user_id": user_id, "kind": kind or None, "currency": currency or None},
        at="occurred_at",
        limit=limit,
        cursor=cursor,
    )
    return {"entries": rows, "next_cursor": next_cursor}
