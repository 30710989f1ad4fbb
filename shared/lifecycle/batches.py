"""Deleting many rows without holding many locks for long: each batch is its own short
transaction of at most ``RETENTION_BATCH_ROWS`` rows, found by ``ctid`` (a TID scan,
whatever the table's key), repeated until a batch finds nothing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.config import get_settings
from shared.db import get_database
from shared.lifecycle.catalog import ident


def size() -> int:
    return get_settings().retention_batch_rows


def _picked(table: str, where: str) -> str:
    return f"ctid = ANY(ARRAY(SELECT ctid FROM {ident(table)} WHERE {where} LIMIT %s))"


def repeat(sql: str, params: Sequence[Any]) -> int:
    """Run one batch statement (returning its count) until it affects no row."""
    total = 0
    while True:
        with get_database().transaction() as tx:
            done = int(tx.scalar(sql, (*params, size())) or 0)
        total += done
        if done == 0:
            return total


def delete(table: str, where: str, params: Sequence[Any]) -> int:
    sql = (
        f"WITH gone AS (DELETE FROM {ident(table)} WHERE {_picked(table, where)} RETURNING 1) "
        "SELECT count(*) FROM gone"
    )
    return repeat(sql, params)


def retire_events(where: str, params: Sequence[Any]) -> int:
    """Delete events, keeping each id in ``retired_events``: the dispatcher treats a
    delivery of a retired id as a duplicate instead of recording the event again."""
    sql = (
        f"WITH gone AS (DELETE FROM usage_events WHERE {_picked('usage_events', where)} "
        "RETURNING id), kept AS (INSERT INTO retired_events (id) SELECT id FROM gone "
        "ON CONFLICT (id) DO NOTHING) SELECT count(*) FROM gone"
    )
    return repeat(sql, params)


def update(table: str, assignments: str, where: str, params: Sequence[Any]) -> int:
    """``UPDATE`` in batches; ``where`` must stop matching a row once it is updated."""
    sql = (
        f"WITH done AS (UPDATE {ident(table)} SET {assignments} WHERE {_picked(table, where)} "
        "RETURNING 1) SELECT count(*) FROM done"
    )
    return repeat(sql, params)
