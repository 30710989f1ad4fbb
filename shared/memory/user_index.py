"""A user's own HNSW index, for the users with many memories.

A user owning a tenth of a million rows is searched badly through the shared HNSW
index: the scan walks a graph made mostly of other users' vectors and, even with
pgvector 0.8's iterative scan, stops before it has found the user's nearest rows (at
1,000,000 rows, recall@10 fell to 0.32 for one user, p95 271 ms). pgvector's advice for
a filter on a column with few large values is a partial index per value: here one
partial HNSW index ``WHERE user_id = '<user>'`` per store and user past
``MEMORY_EXACT_SCAN_MAX_ROWS``, which the planner picks for recall's ``user_id = %s``
(a custom plan sees the value). Its graph holds only the user's vectors, so its cost
and recall follow the user's size, not the table's.

``ensure`` builds what is missing with ``CREATE INDEX CONCURRENTLY`` (writes go on),
drops a leftover invalid index from an interrupted build first, and records each built
index in ``memory_user_indexes``; recall relies on an index only once recorded. It is
idempotent and runs from the daily consolidation request of each user
(``shared/memory/sweep.py``), so a user crossing the threshold gets an index within a
day, searched through the shared index until then. Works the same on pgvector 0.6."""

from __future__ import annotations

import hashlib
import time

from shared.config import get_settings
from shared.db import Database, Tx
from shared.memory.kinds import KINDS, Kind

TABLE = "memory_user_indexes"
BUILD_TIMEOUT_S = 6 * 3600.0  # a build's statement may take this long (a socket read)


def index_name(kind: Kind, user_id: str) -> str:
    """The index's name: the store and a digest of the user (a user id may hold any
    character; an identifier may not, and has at most 63 bytes)."""
    digest = hashlib.sha256(user_id.encode()).hexdigest()[:16]
    return f"{kind.table}_user_{digest}"


def _rows_past(tx: Tx, kind: Kind, user_id: str, threshold: int) -> int:
    """The user's rows with an embedding, counted up to one past ``threshold``."""
    return int(
        tx.scalar(
            f"SELECT count(*) FROM (SELECT 1 FROM {kind.table} WHERE user_id = %s "
            "AND embedding IS NOT NULL LIMIT %s) s",
            [user_id, threshold + 1],
        )
    )


def _build(tx: Tx, kind: Kind, user_id: str, name: str, memory_mb: int) -> float:
    """Build the index concurrently (after dropping an invalid leftover) with
    ``memory_mb`` of ``maintenance_work_mem``, the session's own value restored after;
    seconds."""
    valid = tx.scalar(
        "SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass(%s)", [name]
    )
    if valid is False:
        tx.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')
    sql = tx.scalar(
        "SELECT format('CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON %I "
        "USING hnsw (embedding vector_cosine_ops) WHERE user_id = %L', %s::text, %s::text, %s::text)",
        [name, kind.table, user_id],
    )
    tx.scalar("SELECT set_config('maintenance_work_mem', %s, false)", [f"{memory_mb}MB"])
    began = time.perf_counter()
    try:
        tx.execute(str(sql))
    finally:
        tx.execute("RESET maintenance_work_mem")
    return time.perf_counter() - began


def ensure(db: Database, user_id: str) -> list[str]:
    """Build and record the user's missing indexes (stores past the threshold); the
    names of those built now."""
    settings = get_settings()
    threshold = settings.memory_exact_scan_max_rows
    built: list[str] = []
    with db.autocommit(timeout=BUILD_TIMEOUT_S) as tx:
        for kind in KINDS.values():
            recorded = tx.scalar(
                f"SELECT 1 FROM {TABLE} WHERE user_id = %s AND store = %s", [user_id, kind.table]
            )
            if recorded:
                continue
            rows = _rows_past(tx, kind, user_id, threshold)
            if rows <= threshold:
                continue
            name = index_name(kind, user_id)
            seconds = _build(tx, kind, user_id, name, settings.memory_index_build_mb)
            tx.execute(
                f"INSERT INTO {TABLE} (user_id, store, index_name, rows_at_build, build_seconds) "
                "VALUES (%s, %s, %s, (SELECT count(*) FROM "
                f"{kind.table} WHERE user_id = %s), %s) ON CONFLICT DO NOTHING",
                [user_id, kind.table, name, user_id, seconds],
            )
            built.append(name)
    return built


def drop(db: Database, user_id: str) -> int:
    """Drop the user's own indexes (erasure: an index's predicate names the user); how
    many there were. Their rows in ``memory_user_indexes`` go with the user's other rows."""
    dropped = 0
    with db.autocommit() as tx:
        for kind in KINDS.values():
            name = index_name(kind, user_id)
            if tx.scalar("SELECT to_regclass(%s) IS NOT NULL", [name]):
                tx.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')
                dropped += 1
    return dropped
