"""The migration runner: numbered SQL files applied in order under an advisory lock,
each recorded in ``schema_migrations`` with its checksum. A changed file that was
already applied is refused: fix forward with a new file instead."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from shared.db import Database
from shared.errors import Conflict

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
_LOCK_KEY = 0x5E6F_0001  # advisory lock id owned by the migration runner
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise Conflict(f"migration file {path.name!r} is not named NNNN_name.sql")
        found.append(Migration(match.group(1), path.name, path.read_text()))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise Conflict("two migration files share a number")
    return found


def migrate(db: Database, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply what is pending; return the names applied (empty when up to date)."""
    migrations = discover(directory)
    applied_now: list[str] = []
    with db.transaction() as tx:
        # A transaction-level lock: concurrent runners wait here, then see the work done.
        tx.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        tx.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version text PRIMARY KEY,
                   name text NOT NULL,
                   checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        applied = {r["version"]: r for r in tx.all("SELECT * FROM schema_migrations")}
        for m in migrations:
            done = applied.get(m.version)
            if done is not None:
                if done["checksum"] != m.checksum:
                    raise Conflict(
                        f"migration {m.name} was changed after it was applied "
                        f"(recorded checksum {done['checksum'][:12]}, file {m.checksum[:12]}); "
                        "add a new migration instead"
                    )
                continue
            tx.execute(m.sql)
            tx.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                (m.version, m.name, m.checksum),
            )
            applied_now.append(m.name)
    if applied_now:
        db.forget_features()  # a migration may have created an extension
    return applied_now
