"""The catalog finds a user's rows in tables added later, with no list to update: a
table with a user column, and one that only references a user's rows by foreign key
(children and grandchildren, whatever the key's delete rule)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared import bootstrap
from shared.cli import main
from shared.config import Settings
from shared.db import Database
from shared.lifecycle import catalog
from tests.conftest import auth
from tests.lifecycle.conftest import new_user


@pytest.fixture(scope="module")
def added_tables(db: Database) -> None:
    """Tables as a later migration might add them (this module's database only)."""
    with db.transaction() as tx:
        tx.execute(
            "CREATE TABLE probe_owned (id bigserial PRIMARY KEY, owner_user_id text NOT NULL, "
            "note text)"
        )
        tx.execute(
            "CREATE TABLE probe_steps (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "
            "goal_id uuid NOT NULL REFERENCES goals (id), note text)"
        )
        tx.execute(
            "CREATE TABLE probe_step_marks (step_id uuid NOT NULL REFERENCES probe_steps (id), "
            "mark text NOT NULL, PRIMARY KEY (step_id, mark))"
        )


def seed(db: Database, user: str) -> None:
    with db.transaction() as tx:
        goal = tx.scalar(
            "INSERT INTO goals (user_id, title) VALUES (%s, 'g') RETURNING id", (user,)
        )
        step = tx.scalar(
            "INSERT INTO probe_steps (goal_id, note) VALUES (%s, %s) RETURNING id",
            (goal, f"step of {user}"),
        )
        tx.execute(
            "INSERT INTO probe_step_marks (step_id, mark) VALUES (%s, %s)", (step, f"by {user}")
        )
        tx.execute("INSERT INTO probe_owned (owner_user_id, note) VALUES (%s, 'mine')", (user,))


def count(db: Database, table: str, user: str) -> int:
    with db.transaction() as tx:
        return int(
            tx.scalar(f"SELECT count(*) FROM {table} t WHERE strpos(t::text, %s) > 0", (user,))
        )


def test_scopes_cover_added_tables_parents_first(db: Database, added_tables: None) -> None:
    with db.transaction() as tx:
        order = [scope.table for scope in catalog.scopes(tx)]
    assert {"probe_owned", "probe_steps", "probe_step_marks"} <= set(order)
    assert order.index("goals") < order.index("probe_steps") < order.index("probe_step_marks")


def test_rows_referencing_a_users_rows_are_exported(
    api: Any, db: Database, added_tables: None
) -> None:
    user = new_user()
    seed(db, user)

    body = api.get("/api/me/export", headers=auth(user)).data.decode()

    kinds = [json.loads(line)["kind"] for line in body.splitlines()]
    assert sorted(kinds) == ["goals", "probe_owned", "probe_step_marks", "probe_steps"]


def test_erasure_deletes_rows_referencing_a_users_rows_first(
    db: Database,
    db_url: str,
    settings: Settings,
    added_tables: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    user, other = new_user(), new_user()
    seed(db, user)
    seed(db, other)
    monkeypatch.setenv("SEGP_HOME", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", db_url)
    try:
        assert main(["user", "erase", "--user", user]) == 0
    finally:
        bootstrap.configure(settings)

    for table in ("goals", "probe_owned", "probe_steps", "probe_step_marks"):
        assert count(db, table, user) == 0
        assert count(db, table, other) == 1
