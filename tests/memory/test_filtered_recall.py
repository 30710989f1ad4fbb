"""Recall on a large table where a user owns a small share of the rows.

pgvector filters after the HNSW scan: with the default ef_search of 40, a scan of a
table dominated by another user's nearby rows yields none of a small user's rows. The
table here is built for exactly that: 5,000 rows of a "crowd" user all closer to the
query than anything the small user owns, plus users with a modest share."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pgvector import Vector

from shared.db import Database
from shared.memory.recall import explain, recall
from shared.memory.store import MemoryWrite, embed, store
from tests.memory.conftest import bulk, exact_top

QUERY = "weekly newsletter about growth marketing for indie founders"
CROWD, SMALL, CLOSE, FAR = "crowd", "small", "close-share", "far-share"


@pytest.fixture(scope="module")
def table(db: Database) -> Vector:
    query = embed([QUERY], "RETRIEVAL_QUERY")[0][0]
    with db.transaction() as tx:
        tx.execute("DROP INDEX episodic_memories_embedding")
        tx.execute("SELECT setseed(0.42)")
        bulk(tx, CROWD, 5000, query, noise=0.02)
        bulk(tx, CLOSE, 300, query, noise=0.02)  # interleaved with the crowd
        bulk(tx, FAR, 300, query, noise=0.08)  # behind the whole crowd
    notes = [
        MemoryWrite(
            type="episodic",
            content=f"note {i}: idea {i * 7} for the growth newsletter, draft {i % 3}",
            fields={"agent_id": "scribe_01", "interaction_type": "note"},
        )
        for i in range(30)
    ]
    store(SMALL, notes)
    with db.transaction() as tx:
        tx.execute("SET LOCAL maintenance_work_mem = '256MB'")
        tx.execute(
            "CREATE INDEX episodic_memories_embedding ON episodic_memories "
            "USING hnsw (embedding vector_cosine_ops)"
        )
        tx.execute("ANALYZE episodic_memories")
    return query


def test_a_plain_filtered_index_scan_loses_the_small_users_rows(
    db: Database, table: Vector
) -> None:
    with db.transaction() as tx:
        tx.execute("SET LOCAL enable_sort = off")  # the plan a stale estimate would pick
        plan = tx.all(
            "EXPLAIN SELECT id FROM episodic_memories WHERE user_id = %s "
            "ORDER BY embedding <=> %s::vector LIMIT 10",
            (SMALL, table),
        )
        rows = tx.all(
            "SELECT id FROM episodic_memories WHERE user_id = %s "
            "ORDER BY embedding <=> %s::vector LIMIT 10",
            (SMALL, table),
        )
    assert "episodic_memories_embedding" in str(plan)
    assert len(rows) < 10


def test_recall_returns_a_small_users_nearest_rows_exactly(db: Database, table: Vector) -> None:
    found = recall(SMALL, QUERY, mode="semantic", type="episodic", limit=10)
    assert [str(r["id"]) for r in found] == exact_top(db, SMALL, table, 10)
    assert all(r["user_id"] == SMALL for r in found)
    assert found[0]["similarity"] >= found[-1]["similarity"]


def test_a_small_users_recall_is_an_exact_scan(table: Vector) -> None:
    assert explain(SMALL, QUERY, type="episodic").startswith("strategy: exact scan")


def test_recall_of_a_large_user_uses_the_hnsw_index(table: Vector, reconfigure: Any) -> None:
    reconfigure(MEMORY_EXACT_SCAN_MAX_ROWS="1000")
    text = explain(CROWD, QUERY, type="episodic")
    assert text.startswith("strategy: hnsw")
    assert "Index Scan using episodic_memories_embedding on episodic_memories" in text
    assert len(recall(CROWD, QUERY, mode="semantic", type="episodic", limit=10)) == 10


def test_the_index_scan_of_a_large_user_finds_its_nearest_best_first(
    db: Database, table: Vector, reconfigure: Any
) -> None:
    """pgvector 0.8: an iterative scan collects candidates and re-orders them by exact
    distance (before 0.8 the index's own order, also by distance)."""
    reconfigure(MEMORY_EXACT_SCAN_MAX_ROWS="1000")
    found = recall(CROWD, QUERY, mode="semantic", type="episodic")
    similarities = [r["similarity"] for r in found]
    assert similarities == sorted(similarities, reverse=True)
    exact = exact_top(db, CROWD, table, 10)
    assert len({str(r["id"]) for r in found} & set(exact)) >= 8


def test_a_large_user_is_counted_only_as_far_as_the_choice_needs(
    table: Vector, reconfigure: Any
) -> None:
    """The crowd owns 5,000 rows; past the threshold of 1,000 the strategy no longer
    depends on how many more, so counting stops at the first row beyond it."""
    reconfigure(MEMORY_EXACT_SCAN_MAX_ROWS="1000")
    assert "matching rows: 1001\n" in explain(CROWD, QUERY, type="episodic")


def test_the_exact_re_order_reads_every_candidate_of_the_index_scan(
    db: Database, table: Vector, reconfigure: Any
) -> None:
    """The candidates come out of the index in relaxed order: all of them are sorted by
    their exact distance, not just the first ``limit`` the index happened to yield
    (PostgreSQL 17+ knows the CTE's rows come ordered by distance and would stop there)."""
    if not db.features.iterative_scan:
        pytest.skip("the re-order belongs to pgvector 0.8's iterative scan")
    reconfigure(MEMORY_EXACT_SCAN_MAX_ROWS="1000")
    text = explain(CROWD, QUERY, type="episodic", limit=10, analyze=True)
    candidates = int(re.search(r"candidates=(\d+)", text).group(1))  # type: ignore[union-attr]
    assert candidates > 10
    assert re.search(rf"CTE Scan on candidates .*rows={candidates}(\.0+)? loops", text)


def test_a_modest_share_gets_its_nearest_rows(
    db: Database, table: Vector, reconfigure: Any
) -> None:
    """Above the exact-scan threshold but a small share of the table: on pgvector 0.8 an
    exact scan (an iterative scan would visit more tuples than the user has rows);
    before 0.8, the index with ef_search raised for the query."""
    reconfigure(MEMORY_EXACT_SCAN_MAX_ROWS="100")
    text = explain(CLOSE, QUERY, type="episodic")
    found = recall(CLOSE, QUERY, mode="semantic", type="episodic", limit=10)
    assert all(r["user_id"] == CLOSE for r in found)
    exact = exact_top(db, CLOSE, table, 10)
    if db.features.iterative_scan:
        assert text.startswith("strategy: exact scan")
        assert [str(r["id"]) for r in found] == exact
    else:
        ef = int(text.split("ef_search=")[1].split(")")[0])
        assert ef > 40  # ~2 x 10 x (5,630 / 300); the planner may still prefer an exact plan
        assert len({str(r["id"]) for r in found} & set(exact)) >= 8


def test_a_user_whose_rows_are_all_behind_another_users_gets_their_nearest(
    db: Database, table: Vector, reconfigure: Any
) -> None:
    reconfigure(MEMORY_EXACT_SCAN_MAX_ROWS="100")
    found = recall(FAR, QUERY, mode="semantic", type="episodic", limit=10)
    assert [str(r["id"]) for r in found] == exact_top(db, FAR, table, 10)


def test_an_index_scan_that_comes_back_short_is_redone_exactly(
    db: Database, table: Vector, reconfigure: Any
) -> None:
    """A planner that orders by the index even for a 300-row user (as with stale
    statistics): where the index is used (before pgvector 0.8; 0.8 scans such a user
    exactly), the raised ef_search still yields only crowd rows, and the exact rescan
    finds the user's."""
    with db.transaction() as tx:
        name = tx.scalar("SELECT current_database()")
        tx.execute(f'ALTER DATABASE "{name}" SET enable_sort = off')
    try:
        reconfigure(MEMORY_EXACT_SCAN_MAX_ROWS="100")
        plan = explain(FAR, QUERY, type="episodic")
        if not db.features.iterative_scan:
            assert plan.startswith("strategy: hnsw")
            assert "Index Scan using episodic_memories_embedding" in plan
        found = recall(FAR, QUERY, mode="semantic", type="episodic", limit=10)
        assert [str(r["id"]) for r in found] == exact_top(db, FAR, table, 10)
    finally:
        with db.transaction() as tx:
            tx.execute(f'ALTER DATABASE "{name}" RESET enable_sort')


def test_the_settings_of_the_session_are_left_as_they_were(
    db: Database, table: Vector, reconfigure: Any
) -> None:
    reconfigure(MEMORY_EXACT_SCAN_MAX_ROWS="1000", DB_POOL_SIZE="1")
    recall(CROWD, QUERY, mode="semantic", type="episodic", limit=10)
    from shared.db import get_database

    with get_database().transaction() as tx:
        assert tx.scalar("SELECT current_setting('hnsw.ef_search')") == "40"
        iterative = tx.scalar("SELECT current_setting('hnsw.iterative_scan', true)")
        tuples = tx.scalar("SELECT current_setting('hnsw.max_scan_tuples', true)")
    if db.features.iterative_scan:
        assert (iterative, tuples) == ("off", "20000")
    else:  # pgvector 0.6 has neither setting
        assert (iterative, tuples) == (None, None)


def test_an_index_scan_is_iterative_where_the_server_has_pgvector_0_8(
    db: Database, table: Vector, reconfigure: Any
) -> None:
    reconfigure(MEMORY_EXACT_SCAN_MAX_ROWS="1000")
    strategy = explain(CROWD, QUERY, type="episodic").splitlines()[0]
    assert strategy.startswith("strategy: hnsw")
    assert ("iterative scan" in strategy) == db.features.iterative_scan
    assert ("exact re-order" in strategy) == db.features.iterative_scan
