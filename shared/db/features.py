"""What the connected PostgreSQL offers, read from the server rather than assumed.

The same code runs on the embedded server (PostgreSQL 18, pgvector 0.8, ``pg_trgm``)
and on Cloud SQL, whose older instances may have pgvector 0.6 and no ``pg_trgm``. A
query that needs a newer feature asks here first; the pool reads the answer once, on
its first connection, and again after migrations (which may create extensions)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

Version = tuple[int, ...]

_QUERY = (
    "SELECT current_setting('server_version_num')::int AS server, "
    "(SELECT extversion FROM pg_extension WHERE extname = 'vector') AS vector, "
    "EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') AS pg_trgm"
)


@dataclass(frozen=True)
class ServerFeatures:
    server_version: int  # server_version_num: 180003 for 18.3
    pgvector: Version | None  # None: the extension is not created in this database
    pg_trgm: bool

    @property
    def iterative_scan(self) -> bool:
        """pgvector 0.8's ``hnsw.iterative_scan``: a filtered index scan goes on until
        it has enough rows instead of stopping at ``ef_search`` candidates."""
        return self.pgvector is not None and self.pgvector >= (0, 8)


def version(text: str) -> Version:
    """``"0.8.2"`` as ``(0, 8, 2)``; a suffix such as ``-dev`` is ignored."""
    match = re.match(r"\d+(?:\.\d+)*", text)
    return tuple(int(p) for p in match.group(0).split(".")) if match else ()


def read(conn: Any) -> ServerFeatures:
    """The features of the server ``conn`` is connected to (a DB-API connection)."""
    cur = conn.cursor()
    try:
        cur.execute(_QUERY)
        server, vector, trgm = cur.fetchone()
    finally:
        cur.close()
    conn.commit()
    return ServerFeatures(int(server), version(vector) if vector else None, bool(trgm))
