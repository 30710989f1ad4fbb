"""infra/scripts/grant_runtime_access.py against the real database: a runtime IAM user
may read and write the migrated tables after the grant, and cannot change the schema."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pg8000.dbapi
import pytest

from shared.db import Database
from shared.db.connect import url_params

SCRIPT = Path(__file__).resolve().parents[2] / "infra" / "scripts" / "grant_runtime_access.py"


def _as_user(db_url: str, user: str) -> str:
    parts = urlsplit(db_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{quote(user, safe='')}@{host}"))


def _grant(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db_url}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def runtime_user(db: Database) -> str:
    """A login role named like a Cloud SQL IAM service-account user."""
    name = f"segp-api-{uuid.uuid4().hex[:8]}@project.iam"
    with db.transaction() as tx:
        tx.execute(f'CREATE ROLE "{name}" LOGIN')
    return name


@pytest.fixture
def role() -> str:
    return f"segp_runtime_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def as_runtime(db_url: str, runtime_user: str) -> Iterator[pg8000.dbapi.Connection]:
    conn = pg8000.dbapi.connect(**url_params(_as_user(db_url, runtime_user)))
    conn.autocommit = True
    yield conn
    conn.close()


def test_a_runtime_user_without_the_grant_is_refused(as_runtime: pg8000.dbapi.Connection) -> None:
    with pytest.raises(pg8000.dbapi.DatabaseError, match="permission denied"):
        as_runtime.cursor().execute("SELECT count(*) FROM usage_events")


def test_after_the_grant_a_runtime_user_reads_and_writes_the_tables(
    db_url: str, runtime_user: str, role: str, as_runtime: pg8000.dbapi.Connection
) -> None:
    run = _grant(db_url, "--role", role, runtime_user)
    assert run.returncode == 0, run.stderr
    cur = as_runtime.cursor()
    cur.execute(
        "INSERT INTO goal_generations (user_id, day) VALUES (%s, current_date) RETURNING user_id",
        (runtime_user,),
    )
    assert cur.fetchone() == [runtime_user]
    cur.execute("DELETE FROM goal_generations WHERE user_id = %s", (runtime_user,))
    assert cur.rowcount == 1


def test_the_grant_can_run_again(db_url: str, runtime_user: str, role: str) -> None:
    assert _grant(db_url, "--role", role, runtime_user).returncode == 0
    again = _grant(db_url, "--role", role, runtime_user)
    assert again.returncode == 0, again.stderr


def test_tables_the_owner_creates_later_are_granted_too(
    db: Database, db_url: str, runtime_user: str, role: str, as_runtime: pg8000.dbapi.Connection
) -> None:
    assert _grant(db_url, "--role", role, runtime_user).returncode == 0
    table = f"later_{uuid.uuid4().hex[:8]}"
    with db.transaction() as tx:
        tx.execute(f"CREATE TABLE {table} (id int PRIMARY KEY)")
    as_runtime.cursor().execute(f"INSERT INTO {table} VALUES (1)")


def test_a_runtime_user_cannot_drop_a_table(
    db_url: str, runtime_user: str, role: str, as_runtime: pg8000.dbapi.Connection
) -> None:
    assert _grant(db_url, "--role", role, runtime_user).returncode == 0
    with pytest.raises(pg8000.dbapi.DatabaseError, match="must be owner"):
        as_runtime.cursor().execute("DROP TABLE usage_events")


def test_an_unknown_user_is_named_and_nothing_is_created(
    db: Database, db_url: str, role: str
) -> None:
    run = _grant(db_url, "--role", role, "nobody@project.iam")
    assert run.returncode != 0
    assert "nobody@project.iam" in run.stderr
    with db.transaction() as tx:
        assert tx.scalar("SELECT count(*) FROM pg_roles WHERE rolname = %s", (role,)) == 0
