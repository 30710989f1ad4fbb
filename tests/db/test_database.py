from __future__ import annotations

import math
from typing import Any

import pytest
from pgvector import Vector

from shared.db import Database
from shared.db.connect import url_params
from shared.errors import Retryable


def test_url_forms_tcp_socket_directory_and_socket_path() -> None:
    tcp = url_params("postgresql://u:p%40ss@db.example:6543/segp")
    assert tcp == {
        "user": "u",
        "password": "p@ss",
        "database": "segp",
        "host": "db.example",
        "port": 6543,
    }
    sock_dir = url_params("postgresql://postgres:@/segp?host=/tmp/pg")
    assert sock_dir["unix_sock"] == "/tmp/pg/.s.PGSQL.5432" and "host" not in sock_dir
    sock = url_params("postgresql://u@/segp?unix_sock=/cloudsql/p:r:i/.s.PGSQL.5432")
    assert sock["unix_sock"] == "/cloudsql/p:r:i/.s.PGSQL.5432"


def test_a_transaction_commits_when_the_block_ends(db: Database) -> None:
    with db.transaction() as tx:
        tx.execute("CREATE TABLE IF NOT EXISTS t_commit (v int)")
        tx.execute("INSERT INTO t_commit VALUES (%s)", (1,))
    with db.transaction() as tx:
        assert tx.scalar("SELECT count(*) FROM t_commit") == 1


def test_a_transaction_rolls_back_when_the_block_raises(db: Database) -> None:
    with db.transaction() as tx:
        tx.execute("CREATE TABLE IF NOT EXISTS t_rollback (v int)")

    def insert_then_fail() -> None:
        with db.transaction() as tx:
            tx.execute("INSERT INTO t_rollback VALUES (%s)", (1,))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        insert_then_fail()
    with db.transaction() as tx:
        assert tx.scalar("SELECT count(*) FROM t_rollback") == 0


def test_rows_come_back_as_dicts_and_vectors_as_floats(db: Database) -> None:
    values = [math.sin(i) for i in range(768)]
    with db.transaction() as tx:
        row = tx.one("SELECT %s::vector(768) AS v, 'x' AS name", (Vector(values),))
    assert row is not None and row["name"] == "x"
    assert len(row["v"]) == 768
    assert row["v"][5] == pytest.approx(values[5], rel=1e-6)


def test_a_dropped_connection_is_retryable_and_the_pool_recovers(db: Database) -> None:
    with db.transaction() as tx:
        pid = tx.scalar("SELECT pg_backend_pid()")
    other = db._connect()  # an outside session that kills ours
    cur: Any = other.cursor()
    cur.execute("SELECT pg_terminate_backend(%s)", (pid,))
    other.commit()
    other.close()
    with pytest.raises(Retryable), db.transaction() as tx:
        tx.scalar("SELECT 1")
    with db.transaction() as tx:
        assert tx.scalar("SELECT 1") == 1


def test_an_unreachable_database_is_retryable() -> None:
    def refuse() -> Any:
        raise ConnectionRefusedError("no server")

    with pytest.raises(Retryable), Database(refuse).transaction():
        pass


def test_every_connection_works_in_utc_whatever_the_server_default(
    db: Database, settings: Any
) -> None:
    """A cluster created under another ``TZ`` (the embedded one takes it at initdb)
    renders timestamps in that zone unless the connection says otherwise."""
    from shared.db import database_for

    with db.transaction() as tx:
        name = tx.scalar("SELECT current_database()")
        tx.execute(f"ALTER DATABASE \"{name}\" SET timezone = 'America/New_York'")
    fresh = database_for(settings)
    try:
        with fresh.transaction() as tx:
            assert tx.scalar("SHOW TimeZone") == "UTC"
            rendered = tx.scalar("SELECT to_jsonb(timestamptz '2026-07-01 12:00:00+00')::text")
            assert rendered == '"2026-07-01T12:00:00+00:00"'
    finally:
        fresh.close()
        with db.transaction() as tx:
            tx.execute(f'ALTER DATABASE "{name}" RESET timezone')


def test_a_vector_reaches_the_server_with_its_float4_values_unchanged(db: Database) -> None:
    """Vectors go out as text with 9 significant digits: each float4 comes back the
    same, tiny, huge and negative alike, and so does the same vector sent twice."""
    import numpy as np

    rng = np.random.default_rng(5)
    values = (rng.standard_normal(768) * 10.0 ** rng.integers(-30, 30, 768)).astype(np.float32)
    vector = Vector(values)
    with db.transaction() as tx:
        first = tx.scalar("SELECT %s::vector::real[]", (vector,))
        again = tx.scalar("SELECT %s::vector::real[]", (vector,))
    assert np.array_equal(np.array(first, dtype=np.float32), values)
    assert again == first
