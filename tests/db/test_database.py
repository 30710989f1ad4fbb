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


def _table(db: Database, name: str) -> None:
    with db.transaction() as tx:
        tx.execute(f"CREATE TABLE IF NOT EXISTS {name} (v int PRIMARY KEY)")
        tx.execute(f"TRUNCATE {name}")


def test_a_batch_answers_each_statement_in_order(db: Database) -> None:
    _table(db, "t_batch")
    with db.transaction() as tx:
        tx.execute("INSERT INTO t_batch VALUES (%s), (%s)", (1, 2))
        first, second, third = tx.batch(
            [
                ("SELECT v FROM t_batch WHERE v = %s", (1,)),
                ("SELECT v FROM t_batch ORDER BY v", ()),
                ("SELECT v FROM t_batch WHERE v > %s", (5,)),
            ]
        )
    assert first == [{"v": 1}] and second == [{"v": 1}, {"v": 2}] and third == []


def test_a_failing_statement_of_a_batch_raises_and_rolls_the_transaction_back(
    db: Database,
) -> None:
    _table(db, "t_batch_fail")
    with pytest.raises(Exception, match="23505"), db.transaction() as tx:
        tx.batch(
            [
                ("INSERT INTO t_batch_fail VALUES (%s)", (1,)),
                ("INSERT INTO t_batch_fail VALUES (%s)", (1,)),
                ("INSERT INTO t_batch_fail VALUES (%s)", (2,)),
            ]
        )
    with db.transaction() as tx:
        assert tx.scalar("SELECT count(*) FROM t_batch_fail") == 0
        assert tx.scalar("SELECT 1") == 1  # the connection is usable after the failure


def test_a_deferred_write_commits_with_the_block(db: Database) -> None:
    _table(db, "t_defer")
    with db.transaction() as tx:
        tx.defer("INSERT INTO t_defer VALUES (%s)", (1,))
    with db.transaction() as tx:
        tx.defer("INSERT INTO t_defer VALUES (%s)", (2,))
        # a statement after it sees it: the deferred write goes first
        assert tx.scalar("SELECT count(*) FROM t_defer WHERE v = %s", (2,)) == 1
        tx.defer("INSERT INTO t_defer VALUES (%s)", (3,))
    with db.transaction() as tx:
        assert [r["v"] for r in tx.all("SELECT v FROM t_defer ORDER BY v")] == [1, 2, 3]


def test_a_deferred_write_that_fails_raises_from_the_block_and_nothing_commits(
    db: Database,
) -> None:
    _table(db, "t_defer_fail")
    with db.transaction() as tx:
        tx.execute("INSERT INTO t_defer_fail VALUES (%s)", (1,))

    def conflict_at_commit() -> None:
        with db.transaction() as tx:
            tx.execute("INSERT INTO t_defer_fail VALUES (%s)", (2,))
            tx.defer("INSERT INTO t_defer_fail VALUES (%s)", (1,))

    with pytest.raises(Exception, match="23505"):
        conflict_at_commit()
    with db.transaction() as tx:
        assert [r["v"] for r in tx.all("SELECT v FROM t_defer_fail")] == [1]


def test_a_deferred_write_is_dropped_when_the_block_raises(db: Database) -> None:
    _table(db, "t_defer_drop")

    def defer_then_fail() -> None:
        with db.transaction() as tx:
            tx.defer("INSERT INTO t_defer_drop VALUES (%s)", (1,))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        defer_then_fail()
    with db.transaction() as tx:
        assert tx.scalar("SELECT count(*) FROM t_defer_drop") == 0


def test_percent_signs_read_as_the_db_api_reads_them(db: Database) -> None:
    with db.transaction() as tx:
        assert tx.scalar("SELECT 'a%%b'") == "a%%b"  # no parameters: the SQL as it is
        assert tx.scalar("SELECT 7 %% %s", (4,)) == 3  # with: %% is the operator %


def test_past_the_cache_size_statements_are_closed_and_prepared_again(db: Database) -> None:
    from shared.db.statements import CACHE_SIZE

    with db.transaction() as tx:
        for n in range(CACHE_SIZE + 20):
            assert tx.scalar(f"SELECT %s::int + {n}", (1,)) == n + 1
        prepared = tx.scalar("SELECT count(*) FROM pg_prepared_statements")
        assert prepared <= CACHE_SIZE
        assert tx.scalar("SELECT %s::int + 0", (1,)) == 1  # evicted, prepared again


def test_a_statement_whose_result_a_migration_changed_is_retryable_once(db: Database) -> None:
    _table(db, "t_plan")
    with db.transaction() as tx:
        tx.execute("INSERT INTO t_plan VALUES (%s)", (1,))
    pids = set()
    for _ in range(4):  # every pooled connection has the statement prepared
        with db.transaction() as tx:
            assert tx.all("SELECT * FROM t_plan WHERE v = %s", (1,)) == [{"v": 1}]
            pids.add(tx.scalar("SELECT pg_backend_pid()"))
    with db.transaction() as tx:
        tx.execute("ALTER TABLE t_plan ADD COLUMN w int")
    outcomes = []
    for _ in range(8):
        try:
            with db.transaction() as tx:
                outcomes.append(tx.all("SELECT * FROM t_plan WHERE v = %s", (1,)))
        except Retryable:
            outcomes.append("retry")
    assert outcomes[-1] == [{"v": 1, "w": None}]
    assert outcomes.count("retry") <= len(pids)  # each stale connection fails once, then goes


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
