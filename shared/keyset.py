"""Keyset pages: a list ordered newest first by (time, id) continues after the last
row it showed, so rows added meanwhile neither repeat nor shift a page. The cursor is
that row's key, opaque to clients (URL-safe base64)."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from shared.db import Row, Tx
from shared.errors import Invalid

# the ``cursor`` query parameter of a paged list: what ``encode`` hands out, or left out
Cursor = Annotated[
    Annotated[str, Field(max_length=200, pattern="^[A-Za-z0-9_-]+=*$")] | SkipJsonSchema[None],
    Field(description="next_cursor of a page"),
]


def encode(at: datetime, row_id: str) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{row_id}".encode()).decode()


def decode(cursor: str) -> tuple[datetime, str]:
    """The key a cursor holds; 422 for one this API did not hand out."""
    try:
        at, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(at), str(uuid.UUID(row_id))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Invalid("cursor: not a cursor this API returned") from None


def page(
    tx: Tx,
    select: str,
    filters: dict[str, Any],
    *,
    at: str,
    limit: int,
    cursor: str | None,
) -> tuple[list[Row], str | None]:
    """One page of ``select`` (``SELECT ... FROM table``, written by the caller) newest
    first by ``(at, id)``, rows matching every ``column = value`` of ``filters`` whose
    value is not None; and the cursor of the next page, None on the last. Columns are
    the caller's names, never input."""
    where = [f"{column} = %s" for column, value in filters.items() if value is not None]
    params = [value for value in filters.values() if value is not None]
    if cursor:
        where.append(f"({at}, id) < (%s, %s::uuid)")
        params += list(decode(cursor))
    rows = tx.all(
        f"{select} WHERE {' AND '.join(where) or 'true'} ORDER BY {at} DESC, id DESC LIMIT %s",
        (*params, limit + 1),
    )
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode(rows[-1][at], str(rows[-1]["id"]))
