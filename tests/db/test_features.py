"""What the server offers is read from it, once per pool, and again after migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from shared.config import Settings
from shared.db import Database, database_for
from shared.db.features import version
from shared.db.migrate import migrate
from shared.local import postgres


@contextmanager
def fresh(pg_server: Any, name: str) -> Iterator[Database]:
    """A pool on a new database that has no extension yet."""
    url = postgres.create_database(pg_server, name)
    db = database_for(Settings(DATABASE_URL=url, DB_POOL_SIZE=1))
    try:
        yield db
    finally:
        db.close()


def test_the_embedded_server_offers_pgvector_0_8_and_pg_trgm(embedded_server: Any) -> None:
    with fresh(embedded_server, "features_embedded") as db:
        migrate(db)
        features = db.features
    assert features.server_version >= 180000
    assert features.pgvector is not None and features.pgvector >= (0, 8)
    assert features.iterative_scan
    assert features.pg_trgm


def test_a_database_without_the_extensions_is_seen_as_such(pg_server: Any) -> None:
    with fresh(pg_server, "features_bare") as db:
        assert db.features.pgvector is None
        assert not db.features.iterative_scan
        assert not db.features.pg_trgm


def test_features_are_read_once_per_pool(pg_server: Any) -> None:
    with fresh(pg_server, "features_cached") as db:
        assert db.features.pgvector is None
        with db.transaction() as tx:
            tx.execute("CREATE EXTENSION vector")  # what every supported server has
        assert db.features.pgvector is None  # the pool's answer until asked to forget
        db.forget_features()
        assert db.features.pgvector is not None


def test_migrations_that_create_extensions_refresh_the_features(pg_server: Any) -> None:
    with fresh(pg_server, "features_migrated") as db:
        assert db.features.pgvector is None
        migrate(db)
        assert db.features.pgvector is not None
        with db.transaction() as tx:
            assert tx.features.pgvector == db.features.pgvector


def test_extension_versions_are_compared_as_numbers() -> None:
    assert version("0.8.2") == (0, 8, 2)
    assert version("0.10.0") > version("0.8.2")
    assert version("1.6") == (1, 6)
    assert version("0.7.0-dev") == (0, 7, 0)
