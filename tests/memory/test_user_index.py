"""A user's own HNSW index: built for a user past the exact-scan threshold, recorded,
matched by recall's ``user_id`` predicate, rebuilt after an interrupted build, dropped
on erasure; nobody else's recall touches it."""

from __future__ import annotations

from typing import Any

import pytest
from pgvector import Vector

from shared.db import Database
from shared.memory.kinds import kind_of
from shared.memory.recall import explain, recall
from shared.memory.search import Filters, nearest
from shared.memory.store import embed
from shared.memory.sweep import consolidate_requested
from shared.memory.user_index import drop, ensure, index_name
from tests.memory.conftest import bulk, exact_top

QUERY = "weekly newsletter about growth marketing for indie founders"
LARGE, CROWD, SMALL = "large-user", "crowd-user", "small-user"
EPISODIC = kind_of("episodic")


@pytest.fixture(scope="module")
def table(db: Database) -> Vector:
    query = embed([QUERY], "RETRIEVAL_QUERY")[0][0]
    with db.transaction() as tx:
        tx.execute("SELECT setseed(0.17)")
        bulk(tx, CROWD, 1500, query, noise=0.02)  # nearer the query than LARGE's rows
        bulk(tx, LARGE, 1500, query, noise=0.06)
        bulk(tx, SMALL, 100, query, noise=0.06)
        tx.execute("ANALYZE episodic_memories")
    return query


@pytest.fixture
def threshold(reconfigure: Any) -> int:
    reconfigure(MEMORY_EXACT_SCAN_MAX_ROWS="500")
    return 500


def another_large_user(db: Database, user: str) -> None:
    with db.transaction() as tx:
        bulk(tx, user, 600, embed([QUERY], "RETRIEVAL_QUERY")[0][0], noise=0.06)


def recorded(db: Database, user: str) -> list[dict[str, Any]]:
    with db.transaction() as tx:
        return tx.all(
            "SELECT store, index_name, rows_at_build FROM memory_user_indexes WHERE user_id = %s",
            (user,),
        )


def index_exists(db: Database, name: str) -> bool:
    with db.transaction() as tx:
        return bool(tx.scalar("SELECT to_regclass(%s) IS NOT NULL", (name,)))


def test_a_user_past_the_threshold_gets_an_index_of_their_own_once(
    db: Database, table: Vector, threshold: int
) -> None:
    name = index_name(EPISODIC, LARGE)
    assert ensure(db, LARGE) == [name]
    assert recorded(db, LARGE) == [
        {"store": "episodic_memories", "index_name": name, "rows_at_build": 1500}
    ]
    with db.transaction() as tx:
        definition = tx.scalar("SELECT pg_get_indexdef(to_regclass(%s))", (name,))
        valid = tx.scalar(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", (name,)
        )
    assert "USING hnsw (embedding vector_cosine_ops)" in definition
    assert f"WHERE (user_id = '{LARGE}'::text)" in definition
    assert valid is True
    assert ensure(db, LARGE) == []  # idempotent: recorded, nothing to build


def test_a_user_within_the_threshold_gets_none(db: Database, table: Vector, threshold: int) -> None:
    assert ensure(db, SMALL) == []
    assert recorded(db, SMALL) == []
    assert not index_exists(db, index_name(EPISODIC, SMALL))


def test_recall_of_the_user_searches_their_own_index(
    db: Database, table: Vector, threshold: int
) -> None:
    ensure(db, LARGE)
    text = explain(LARGE, QUERY, type="episodic")
    assert text.startswith("strategy: the user's own hnsw index")
    assert f"Index Scan using {index_name(EPISODIC, LARGE)} on episodic_memories" in text
    found = recall(LARGE, QUERY, mode="semantic", type="episodic", limit=10)
    assert all(r["user_id"] == LARGE for r in found)
    similarities = [r["similarity"] for r in found]
    assert similarities == sorted(similarities, reverse=True)
    exact = exact_top(db, LARGE, table, 10)
    assert len({str(r["id"]) for r in found} & set(exact)) >= 9


def test_every_search_of_the_user_uses_their_own_index_however_often_it_runs(
    db: Database, table: Vector, threshold: int
) -> None:
    """The search is a statement prepared on the connection: after five runs PostgreSQL
    may plan it generically, and a generic plan cannot use a partial index."""
    from shared.model import get_model

    ensure(db, LARGE)
    name = index_name(EPISODIC, LARGE)
    model = get_model().embedding_model
    with db.transaction() as tx:  # one connection, one prepared statement, scans counted
        for _ in range(12):
            assert len(nearest(tx, EPISODIC, LARGE, table, model, Filters(), 10)) == 10
        scans = tx.scalar("SELECT pg_stat_get_xact_numscans(to_regclass(%s))", (name,))
    assert scans == 12


def test_another_users_recall_does_not_use_it(db: Database, table: Vector, threshold: int) -> None:
    ensure(db, LARGE)
    text = explain(CROWD, QUERY, type="episodic")
    assert "user's own" not in text.splitlines()[0]
    assert index_name(EPISODIC, LARGE) not in text
    found = recall(CROWD, QUERY, mode="semantic", type="episodic", limit=10)
    assert {r["user_id"] for r in found} == {CROWD}


def test_an_interrupted_build_is_dropped_and_built_again(
    db: Database, table: Vector, threshold: int
) -> None:
    """A failed ``CREATE INDEX CONCURRENTLY`` leaves an invalid index of that name
    behind (here a unique index over duplicate values): the next run replaces it."""
    name = index_name(EPISODIC, CROWD)
    with db.autocommit() as tx, pytest.raises(Exception, match="could not create unique index"):
        tx.execute(
            f'CREATE UNIQUE INDEX CONCURRENTLY "{name}" ON episodic_memories (user_id) '
            f"WHERE user_id = '{CROWD}'"
        )
    with db.transaction() as tx:
        assert (
            tx.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", (name,))
            is False
        )
    assert ensure(db, CROWD) == [name]
    with db.transaction() as tx:
        definition = tx.scalar("SELECT pg_get_indexdef(to_regclass(%s))", (name,))
        valid = tx.scalar(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", (name,)
        )
    assert "USING hnsw" in definition
    assert valid is True


def test_the_daily_consolidation_request_builds_it(
    db: Database, table: Vector, threshold: int
) -> None:
    user = "sweep-user"
    another_large_user(db, user)
    consolidate_requested({"userId": user})  # type: ignore[arg-type]
    assert [r["index_name"] for r in recorded(db, user)] == [index_name(EPISODIC, user)]
    assert index_exists(db, index_name(EPISODIC, user))


def test_dropping_removes_the_users_indexes_only(
    db: Database, table: Vector, threshold: int
) -> None:
    user = "leaving-user"
    another_large_user(db, user)
    ensure(db, user)
    ensure(db, LARGE)
    assert drop(db, user) == 1
    assert not index_exists(db, index_name(EPISODIC, user))
    assert index_exists(db, index_name(EPISODIC, LARGE))
    assert drop(db, user) == 0


def test_erasing_the_user_drops_their_index_and_its_record(
    db: Database, table: Vector, threshold: int
) -> None:
    from shared.lifecycle.erasure import erase

    user = "erased-user"
    another_large_user(db, user)
    ensure(db, user)
    ensure(db, LARGE)
    assert recorded(db, user)
    erase(user)
    assert not index_exists(db, index_name(EPISODIC, user))
    assert recorded(db, user) == []
    assert index_exists(db, index_name(EPISODIC, LARGE))
