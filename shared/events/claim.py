"""The claim on one event: the ``usage_events`` row, locked for the delivery that
dispatches it, and written once with what the dispatch came to.

A recorded event (the outbox wrote it before publishing) is locked ``FOR UPDATE``: a
concurrent delivery waits for the holder's commit and then finds the event settled, or
``dispatching`` under the holder's lease. An event nobody recorded (someone else
published it) is written by the same transaction that dispatches it, in its final
state: the unique id makes a concurrent delivery wait for that commit too, and the one
that lost the race fails its commit on the id (``raced``), so all it did rolls back and
it goes on from the winner's row (``Raced``). Either way a dispatch that the claim's
own transaction settles writes the row once and commits once, the write travelling
with the commit."""

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


def lock_query(envelope: Envelope) -> tuple[str, tuple[Any, ...]]:
    """The statement that locks the event's row (when there is one) and tells whether
    the event was dispatched long ago and its row purged or erased since
    (``retired_events``); for ``locked``."""
    event_id = str(envelope.event_id)
    return (
        "SELECT r.retired, e.* FROM (SELECT EXISTS (SELECT 1 FROM retired_events "
        "WHERE id = %s) AS retired) r LEFT JOIN LATERAL ("
        f"SELECT {_COLUMNS}, coalesce(dispatch_lease_until > now(), false) AS leased "
        "FROM usage_events WHERE id = %s FOR UPDATE) e ON true",
        (event_id, event_id),
    )


def locked(envelope: Envelope, rows: list[Row]) -> Row:
    """The event's row as ``lock_query`` read it; for an event not recorded yet, the
    row it will be (``fresh``), written by ``write``. Either way with ``retired``."""
    found = rows[0]  # the outer row is always there
    if found["id"] is not None:
        return found | {"fresh": False}
    return {
        "retired": found["retired"],
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


def raced(exc: BaseException) -> bool:
    """Whether a failed commit of the claim's transaction means another delivery
    recorded the event first (the unique id): then go on from its row."""
    details = exc.args[0] if exc.args else None
    return (
        isinstance(details, dict)
        and details.get("C") == "23505"
        and details.get("n") == "usage_events_pkey"
    )


def write(
    tx: Tx,
    row: Row,
    status: str,
    *,
    triggered: list[dict[str, Any]] | None = None,
    detail: str | None = None,
    along: tuple[str, tuple[Any, ...]] | None = None,
) -> None:
    """The row as the dispatch leaves it: ``status`` (``dispatching`` holds this
    delivery's lease), published now if it was not yet, and its ``triggered``; sent
    with the commit (``Tx.defer``), so it must be the transaction's last statement.
    ``along`` is a data-modifying statement (SQL, parameters) that belongs with the
    write (the trigger counts of the runs it records), sent with it as one statement."""
    done = json.dumps(triggered if triggered is not None else row["triggered"] or [])
    leased = status == "dispatching"
    lease_seconds = get_settings().event_dispatch_lease_seconds if leased else None
    prefix, prefix_params = (f"WITH along AS ({along[0]}) ", along[1]) if along else ("", ())
    if not row["fresh"]:
        tx.defer(
            f"{prefix}UPDATE usage_events SET dispatch_status = %s, triggered = %s::jsonb, "
            "detail = coalesce(%s, detail), published_at = coalesce(published_at, now()), "
            "dispatched_at = CASE WHEN %s THEN NULL ELSE now() END, "
            f"dispatch_lease_until = CASE WHEN %s THEN {_LEASE} END WHERE id = %s",
            (*prefix_params, status, done, detail, leased, leased, lease_seconds, row["id"]),
        )
        return
    tx.defer(
        f"{prefix}INSERT INTO usage_events (id, user_id, event_type, event_data, depth, chain, "
        "occurred_at, published_at, dispatch_status, triggered, detail, dispatched_at, "
        "dispatch_lease_until) VALUES (%s, %s, %s, %s::jsonb, %s, %s::jsonb, "
        "coalesce(%s, now()), now(), %s, %s::jsonb, %s, CASE WHEN %s THEN NULL ELSE now() END, "
        f"CASE WHEN %s THEN {_LEASE} END)",
        (
            *prefix_params,
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
