"""The claim on one event: the ``usage_events`` row, locked for the delivery that
dispatches it, and written once with what the dispatch came to.

A recorded event (the outbox wrote it before publishing) is locked ``FOR UPDATE``: a
concurrent delivery waits for the holder's commit and then finds the event settled, or
``dispatching`` under the holder's lease. An event nobody recorded (someone else
published it) is written by the same transaction that dispatches it, in its final
state, with ``ON CONFLICT DO NOTHING``: the unique id makes a concurrent delivery wait
for that commit too; the one that lost the race (``Raced``) rolls back all it did and
goes on from the winner's row. Either way a dispatch that the claim's own transaction
settles writes the row once and commits once."""

from __future__ import annotations

import json
from typing import Any

from shared.config import get_settings
from shared.db import Row, Tx
from shared.events.envelope import Envelope

_COLUMNS = "id, user_id, event_type, event_data, depth, chain, dispatch_status, triggered"
_LEASE = "now() + make_interval(secs => %s)"


class Raced(Exception):
    """Another delivery recorded the event first; this transaction must roll back."""


def lock(tx: Tx, envelope: Envelope) -> Row:
    """The event's row, locked; for an event not recorded yet, the row it will be
    (``fresh``), written by ``write``."""
    row = tx.one(
        f"SELECT {_COLUMNS}, coalesce(dispatch_lease_until > now(), false) AS leased "
        "FROM usage_events WHERE id = %s FOR UPDATE",
        (str(envelope.event_id),),
    )
    if row is not None:
        return row | {"fresh": False}
    return {
        "id": str(envelope.event_id),
        "user_id": envelope.user_id,
        "event_type": envelope.event_type,
        "event_data": envelope.payload,
        "depth": envelope.depth,
        "chain": envelope.wire()["chain"],
        "occurred_at": envelope.occurred_at,
        "dispatch_status": "pending",
        "triggered": [],
        "leased": False,
        "fresh": True,
    }


def write(
    tx: Tx,
    row: Row,
    status: str,
    *,
    triggered: list[dict[str, Any]] | None = None,
    detail: str | None = None,
) -> None:
    """The row as the dispatch leaves it: ``status`` (``dispatching`` holds this
    delivery's lease), published now if it was not yet, and its ``triggered``."""
    done = json.dumps(triggered if triggered is not None else row["triggered"] or [])
    leased = status == "dispatching"
    lease_seconds = get_settings().event_dispatch_lease_seconds if leased else None
    if not row["fresh"]:
        tx.execute(
            "UPDATE usage_events SET dispatch_status = %s, triggered = %s::jsonb, "
            "detail = coalesce(%s, detail), published_at = coalesce(published_at, now()), "
            "dispatched_at = CASE WHEN %s THEN NULL ELSE now() END, "
            f"dispatch_lease_until = CASE WHEN %s THEN {_LEASE} END WHERE id = %s",
            (status, done, detail, leased, leased, lease_seconds, row["id"]),
        )
        return
    inserted = tx.execute(
        "INSERT INTO usage_events (id, user_id, event_type, event_data, depth, chain, "
        "occurred_at, published_at, dispatch_status, triggered, detail, dispatched_at, "
        "dispatch_lease_until) VALUES (%s, %s, %s, %s::jsonb, %s, %s::jsonb, "
        "coalesce(%s, now()), now(), %s, %s::jsonb, %s, CASE WHEN %s THEN NULL ELSE now() END, "
        f"CASE WHEN %s THEN {_LEASE} END) ON CONFLICT (id) DO NOTHING",
        (
            row["id"],
            row["user_id"],
            row["event_type"],
            json.dumps(row["event_data"], default=str),
            row["depth"],
            json.dumps(row["chain"]),
            row["occurred_at"],
            status,
            done,
            detail,
            leased,
            leased,
            lease_seconds,
        ),
    )
    if not inserted:
        raise Raced(row["id"])
