"""A PostgreSQL given by URL (``SEGP_TEST_DATABASE_URL``) standing in for the embedded
server: Cloud SQL, another PostgreSQL or pgvector version, a server started from
another wheel (.ci/postgres-server). It answers ``get_uri`` and ``cleanup`` as
pgserver's handle does, so ``shared.local.postgres.create_database`` works on it.

The role must be allowed to create databases. The databases it owns whose names are
the suite's (``SUITE_DATABASES``; never the URL's own) are dropped when the session
starts (a run that was killed leaves its databases behind) and when it ends, by the
process that leads the session (tests/conftest.py): with the suite spread over several
worker processes, one worker's start must not drop what another created. Each worker
makes its own template (``segp_template_<worker>``); a module's database is named after
the module, and a module runs on one worker."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from shared.db.connect import url_params

# what tests/conftest.py and tests/db create: the template, a database per module
SUITE_DATABASES = r"^(segp_template.*|t_.+|features_.+|m_.+)$"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class ExternalServer:
    def __init__(self, url: str) -> None:
        self.url = url
        self._own = url_params(url)["database"]

    def get_uri(self, database: str = "postgres") -> str:
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(path=f"/{database}"))

    def _connection(self) -> Any:
        import pg8000.dbapi

        conn = pg8000.dbapi.connect(**url_params(self.url))
        conn.autocommit = True
        return conn

    def _drop_owned(self) -> None:
        """WITH (FORCE) (PostgreSQL 13+): pools the tests leave open are disconnected."""
        conn = self._connection()
        try:
            cur = conn.cursor()
            cur.execute(
                "SELECT datname FROM pg_database WHERE datdba = "
                "(SELECT oid FROM pg_roles WHERE rolname = current_user) "
                "AND datname ~ %s AND datname <> %s ORDER BY datname",
                (SUITE_DATABASES, self._own),
            )
            for (name,) in cur.fetchall():
                cur.execute(f"DROP DATABASE {_quoted(name)} WITH (FORCE)")
        finally:
            conn.close()

    def cleanup(self) -> None:
        """Drop the suite's databases (the leading process of a session calls this)."""
        self._drop_owned()
