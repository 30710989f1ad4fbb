from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shared.config import Settings
from shared.db import database_for
from shared.db.migrate import MIGRATIONS_DIR, discover, migrate
from shared.errors import Conflict
from shared.local import postgres

DESIGN_TABLES = {
    "episodic_memories",
    "semantic_memories",
    "procedural_memories",
    "digital_souls",
    "agent_improvements",
    "agent_feedback",
    "agent_metrics",
    "experiments",
    "goals",
    "workflows",
    "workflow_runs",
    "workflow_webhooks",
    "scheduled_tasks",
    "scheduled_task_runs",
    "event_triggers",
    "usage_events",
    "schema_migrations",
}


def fresh(pg_server: Any, name: str) -> Any:
    return database_for(Settings(DATABASE_URL=postgres.create_database(pg_server, name)))


def tables(db: Any) -> set[str]:
    with db.transaction() as tx:
        rows = tx.all("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {r["tablename"] for r in rows}


def test_migrate_creates_every_table_of_the_design_and_a_second_run_changes_nothing(
    pg_server: Any,
) -> None:
    db = fresh(pg_server, "m_twice")
    applied = migrate(db)
    assert [m.name for m in discover()] == applied
    assert tables(db) >= DESIGN_TABLES
    with db.transaction() as tx:
        before = tx.all(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY 1, 2"
        )
    assert migrate(db) == []
    with db.transaction() as tx:
        after = tx.all(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY 1, 2"
        )
        assert tx.scalar("SELECT count(*) FROM schema_migrations") == len(applied)
    assert before == after


def test_the_sql_itself_is_idempotent_when_run_again(pg_server: Any) -> None:
    db = fresh(pg_server, "m_sql_twice")
    migrate(db)
    with db.transaction() as tx:
        for m in discover():
            tx.execute(m.sql)


def test_every_embedding_column_has_an_hnsw_cosine_index(pg_server: Any) -> None:
    db = fresh(pg_server, "m_hnsw")
    migrate(db)
    with db.transaction() as tx:
        columns = tx.all(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND udt_name = 'vector'"
        )
        indexes = tx.all("SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'")
    assert columns
    indexed = {
        (i["tablename"])
        for i in indexes
        if "USING hnsw" in i["indexdef"] and "vector_cosine_ops" in i["indexdef"]
    }
    assert {c["table_name"] for c in columns} <= indexed


def test_a_changed_migration_that_was_applied_is_refused(pg_server: Any, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, folder)
    db = fresh(pg_server, "m_changed")
    migrate(db, folder)
    target = sorted(folder.glob("*.sql"))[-1]
    target.write_text(target.read_text() + "\n-- edited\n")
    with pytest.raises(Conflict, match=target.name):
        migrate(db, folder)


def test_migrate_is_safe_on_a_nexus_database_where_some_tables_exist(pg_server: Any) -> None:
    db = fresh(pg_server, "m_nexus")
    with db.transaction() as tx:
        tx.execute("CREATE EXTENSION IF NOT EXISTS vector")
        tx.execute(
            "CREATE TABLE goals (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "
            "user_id text NOT NULL, title text NOT NULL, status text DEFAULT 'pending')"
        )
        tx.execute("INSERT INTO goals (user_id, title) VALUES ('u1', 'Grow the newsletter')")
    migrate(db)
    with db.transaction() as tx:
        row = tx.one("SELECT title, priority, context, parent_id FROM goals")
    assert row == {"title": "Grow the newsletter", "priority": 5, "context": {}, "parent_id": None}


def test_two_concurrent_migrate_processes_apply_each_file_once(pg_server: Any) -> None:
    url = postgres.create_database(pg_server, "m_concurrent")
    env = {**os.environ, "DATABASE_URL": url, "JWT_SECRET": "x"}
    cmd = [sys.executable, "-m", "shared.cli", "migrate"]
    procs = [
        subprocess.Popen(
            cmd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=Path(__file__).resolve().parents[2],
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    printed = b"".join(o[0] for o in outs).decode()
    assert printed.count("applied 0001_") == 1 and "up to date" in printed
    db = database_for(Settings(DATABASE_URL=url))
    with db.transaction() as tx:
        assert tx.scalar("SELECT count(*) FROM schema_migrations") == len(discover())
