"""A user's data as JSON Lines: one object per stored row, ``{"kind": <table>, "row":
{...}}``, every table the catalog finds (``catalog.scopes``), parents before children.

Rows are read in keyset batches of ``EXPORT_BATCH_ROWS`` on each table's primary key
(``ctid`` for a table without one), each batch its own short transaction, and handed
on as one chunk of lines: memory stays bounded by one batch whatever the user holds,
and no connection is held while the client reads. Embeddings and other derived search
columns (``catalog.DERIVED_TYPES``) are left out: they are recomputed from the content
that is exported."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shared.config import get_settings
from shared.db import get_database
from shared.lifecycle.catalog import Scope, ident, scopes
from shared.web.responses import dumps

MEDIA_TYPE = "application/x-ndjson"


def _batch_sql(scope: Scope, after: bool) -> str:
    key = scope.key or ("ctid",)
    order = ", ".join(ident(k) if k != "ctid" else k for k in key)
    columns = ", ".join(ident(c) for c in scope.columns)
    if not scope.key:
        columns += ", ctid::text AS ctid"
    placeholders = ", ".join(["%s"] * len(key))
    cast = "::tid" if not scope.key else ""
    resume = f" AND ({order}) > ({placeholders}{cast})" if after else ""
    return (
        f"SELECT {columns} FROM {ident(scope.table)} WHERE {scope.where}{resume} "
        f"ORDER BY {order} LIMIT %s"
    )


def _rows(scope: Scope, user_id: str, batch: int) -> Iterator[list[dict[str, Any]]]:
    last: tuple[Any, ...] | None = None
    key = scope.key or ("ctid",)
    while True:
        params = (*scope.params(user_id), *(last or ()), batch)
        with get_database().transaction() as tx:
            rows = tx.all(_batch_sql(scope, last is not None), params)
        if not rows:
            return
        last = tuple(rows[-1][k] for k in key)
        if not scope.key:
            for row in rows:
                row.pop("ctid")
        yield rows
        if len(rows) < batch:
            return


def lines(user_id: str) -> Iterator[str]:
    """The export, one chunk of lines per batch."""
    batch = get_settings().export_batch_rows
    with get_database().transaction() as tx:
        found = scopes(tx)
    for scope in found:
        for rows in _rows(scope, user_id, batch):
            yield "".join(dumps({"kind": scope.table, "row": row}) + "\n" for row in rows)
