"""Give the functions' IAM database users the rights they need on the schema, and no more.

`segp migrate` runs as the schema owner; the tables it creates belong to it. The
runtime IAM users (one per function, from `terraform output -json db_iam_users`) become
members of one NOLOGIN role that may read and write every table and sequence in the
public schema, now and (through default privileges) in tables later migrations create.
They cannot create, alter or drop anything. Safe to run again: Cloud Build runs it after
every migrate and apply.

Connects like `segp migrate`: DATABASE_URL, or INSTANCE_CONNECTION_NAME + DB_USER +
DB_NAME + DB_PASS through the Cloud SQL connector.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from shared.config import Settings
from shared.db import Tx, database_for

RIGHTS = [
    "GRANT USAGE ON SCHEMA public TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
    "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public"
    " GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {role}",
]


def _quoted(tx: Tx, name: str) -> str:
    """The identifier quoted by PostgreSQL itself (IAM user names contain '@' and '.')."""
    quoted: str = tx.scalar("SELECT quote_ident(%s)", (name,))
    return quoted


def grant(tx: Tx, role: str, users: list[str]) -> None:
    exists = tx.scalar("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
    quoted_role = _quoted(tx, role)
    if not exists:
        tx.execute(f"CREATE ROLE {quoted_role} NOLOGIN")
    for statement in RIGHTS:
        tx.execute(statement.format(role=quoted_role))
    for user in users:
        if not tx.scalar("SELECT 1 FROM pg_roles WHERE rolname = %s", (user,)):
            raise SystemExit(
                f"grant: database user {user!r} does not exist (terraform apply first)"
            )
        tx.execute(f"GRANT {quoted_role} TO {_quoted(tx, user)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("users", nargs="*", help="IAM database users, e.g. segp-api@PROJECT.iam")
    parser.add_argument("--users-json", type=Path, help="a JSON list of users (terraform output)")
    parser.add_argument("--role", default="segp_runtime", help="the group role (created if absent)")
    args = parser.parse_args(argv)
    users = list(args.users)
    if args.users_json:
        users += json.loads(args.users_json.read_text())
    settings = Settings.from_env(local=True)
    if not settings.database_url and not settings.instance_connection_name:
        raise SystemExit(
            "grant: set DATABASE_URL or INSTANCE_CONNECTION_NAME (as for segp migrate)"
        )
    db = database_for(settings.model_copy(update={"db_pool_size": 1}))
    try:
        with db.transaction() as tx:
            grant(tx, args.role, users)
    finally:
        db.close()
    print(f"granted {args.role} to {len(users)} user(s): {', '.join(users) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
