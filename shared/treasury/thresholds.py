"""Revenue thresholds ("30-day revenue >= 1,000.00 USD") and their crossings.

A threshold is evaluated whenever its user's ledger changes in its currency, and when
it is created. ``is_reached`` remembers which side it was on: going from below to at
or above emits ``revenue.threshold_reached`` once; it emits again only after an
evaluation has found it below (a refund, or old revenue leaving the window, seen at
the next ledger change). Rows are locked FOR UPDATE while evaluated, so two
concurrent ledger writes of one user cannot both announce the same crossing."""

from __future__ import annotations

from typing import Any

from shared.db import Row, Tx
from shared.errors import Conflict, NotFound
from shared.events import outbox
from shared.ids import object_id
from shared.treasury import ledger

MAX_PER_USER = 50
COLUMNS = (
    "id, user_id, amount_minor, currency, period_days, is_reached, last_crossed_at, created_at"
)


def create(tx: Tx, user_id: str, amount_minor: int, currency: str, period_days: int) -> Row:
    count = tx.scalar("SELECT count(*) FROM revenue_thresholds WHERE user_id = %s", (user_id,))
    if count >= MAX_PER_USER:
        raise Conflict(f"at most {MAX_PER_USER} revenue thresholds per user")
    row = tx.one(
        "INSERT INTO revenue_thresholds (user_id, amount_minor, currency, period_days) "
        f"VALUES (%s, %s, %s, %s) RETURNING {COLUMNS}",
        (user_id, amount_minor, currency, period_days),
    )
    assert row is not None
    evaluate(tx, user_id, currency, cause={"reason": "threshold_created"})
    reread = tx.one(
        f"SELECT {COLUMNS} FROM revenue_thresholds WHERE id = %s AND user_id = %s",
        (row["id"], user_id),
    )
    assert reread is not None
    return reread


def list_for(tx: Tx, user_id: str) -> list[Row]:
    return tx.all(
        f"SELECT {COLUMNS} FROM revenue_thresholds WHERE user_id = %s ORDER BY created_at, id",
        (user_id,),
    )


def delete(tx: Tx, user_id: str, threshold_id: str) -> None:
    threshold_id = object_id(threshold_id, "revenue threshold")
    if not tx.execute(
        "DELETE FROM revenue_thresholds WHERE id = %s AND user_id = %s", (threshold_id, user_id)
    ):
        raise NotFound("revenue threshold not found")


def evaluate(tx: Tx, user_id: str, currency: str, *, cause: dict[str, Any]) -> list[str]:
    """Re-check the user's thresholds in ``currency``; emit one event per upward
    crossing and return the ids of the thresholds that crossed."""
    rows = tx.all(
        "SELECT id, amount_minor, period_days, is_reached FROM revenue_thresholds "
        "WHERE user_id = %s AND currency = %s ORDER BY id FOR UPDATE",
        (user_id, currency),
    )
    crossed = []
    for row in rows:
        # Read after the lock: in READ COMMITTED this sees every ledger row committed
        # by a concurrent writer that held the lock before us.
        net = ledger.net_revenue(tx, user_id, currency, row["period_days"])
        reached = net >= row["amount_minor"]
        if reached == row["is_reached"]:
            continue
        tx.execute(
            "UPDATE revenue_thresholds SET is_reached = %s, "
            "last_crossed_at = CASE WHEN %s THEN now() ELSE last_crossed_at END "
            "WHERE id = %s AND user_id = %s",
            (reached, reached, row["id"], user_id),
        )
        if reached:
            crossed.append(str(row["id"]))
            outbox.record(
                tx,
                user_id,
                "revenue.threshold_reached",
                {
                    "threshold_id": str(row["id"]),
                    "amount_minor": row["amount_minor"],
                    "currency": currency,
                    "period_days": row["period_days"],
                    "net_revenue_minor": net,
                    **cause,
                },
            )
    return crossed
