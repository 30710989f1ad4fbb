"""Suite-wide fixtures: one PostgreSQL with pgvector for the session (the embedded one,
or the server ``SEGP_TEST_DATABASE_URL`` names), a migrated template database, and a
fresh database per test module cloned from it, so modules never see each other's rows.
The functions are exercised through functions-framework's own app and test client."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shared import bootstrap, clock
from shared.config import Settings
from shared.db import Database, database_for
from shared.db.migrate import migrate
from shared.local import postgres
from shared.web.auth import mint
from tests.support.external_postgres import ExternalServer
from tests.support.fake_gemini import fake_gemini, fake_gemini_server  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[1]
MAIN = str(ROOT / "main.py")
JWT_SECRET = "test-secret-0123456789abcdef0123456789"
EXTERNAL_URL = "SEGP_TEST_DATABASE_URL"
# with the suite spread over worker processes (pytest-xdist, ``make test``), each
# worker has its own server (embedded) or its own template (``SEGP_TEST_DATABASE_URL``)
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
TEMPLATE = f"segp_template_{WORKER}" if WORKER else "segp_template"


def _tidy_outside_server() -> None:
    """The leading process drops the suite's databases on an outside server, before
    any worker creates its own and after every worker is done (workers never do)."""
    url = os.environ.get(EXTERNAL_URL)
    if url and not WORKER:
        ExternalServer(url).cleanup()


def pytest_sessionstart(session: pytest.Session) -> None:
    _tidy_outside_server()  # what a killed run left behind


def pytest_sessionfinish(session: pytest.Session) -> None:
    _tidy_outside_server()


@pytest.fixture(scope="session")
def embedded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    home = tmp_path_factory.mktemp("segp-home")
    server = postgres.start(home)
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def pg_server(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The server the suite runs on: ``SEGP_TEST_DATABASE_URL`` (a role that may create
    databases) when set, else the embedded one."""
    url = os.environ.get(EXTERNAL_URL)
    if not url:
        yield request.getfixturevalue("embedded_server")
        return
    yield ExternalServer(url)  # the leading process drops its databases (above)


@pytest.fixture(scope="session")
def template_url(pg_server: Any) -> str:
    url = postgres.create_database(pg_server, TEMPLATE)
    db = database_for(Settings(DATABASE_URL=url, DB_POOL_SIZE=1))
    migrate(db)
    db.close()
    return url


@pytest.fixture
def fixed_clock() -> Iterator[clock.FixedClock]:
    """The project's clock stopped at a known moment (set or advance it in the test);
    the system clock is back after the test."""
    stopped = clock.FixedClock(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    clock.use(stopped)
    yield stopped
    clock.use(clock.SYSTEM)


def _db_name(request: pytest.FixtureRequest) -> str:
    name = re.sub(r"[^a-z0-9_]", "_", request.node.nodeid.lower())[-50:]
    return f"t_{name}"


def test_settings(url: str, **overrides: Any) -> Settings:
    values = {
        "DATABASE_URL": url,
        "JWT_SECRET": JWT_SECRET,
        "MODEL_PROVIDER": "offline",
        # the tests deliver schedule slots of fixed dates, and the daily purge that the
        # first tick of a day runs would otherwise count them past the fire history's
        # retention once today is half a year later; the retention tests set their own
        "RETENTION_FIRES_DAYS": 36500,
    }
    values.update(overrides)
    return Settings.model_validate(values)


test_settings.__test__ = False  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def db_url(pg_server: Any, template_url: str, request: pytest.FixtureRequest) -> str:
    """A fresh, migrated database for this test module."""
    return postgres.create_database(pg_server, _db_name(request), template=TEMPLATE)


@pytest.fixture(scope="module")
def settings(db_url: str) -> Settings:
    s = test_settings(db_url)
    bootstrap.configure(s)
    return s


@pytest.fixture(scope="module")
def db(settings: Settings) -> Database:
    from shared.db import get_database

    return get_database()


def auth(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint(user, JWT_SECRET)}"}


class UserClient:
    """A test client that sends one user's token with every request."""

    def __init__(self, client: Any, user: str) -> None:
        self.client, self.user = client, user

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**auth(self.user), **kwargs.pop("headers", {})}
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kw: Any) -> Any:
        return self._call("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self._call("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Any:
        return self._call("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self._call("DELETE", path, **kw)


def function_client(target: str) -> Any:
    import functions_framework

    return functions_framework.create_app(target=target, source=MAIN).test_client()


@pytest.fixture(scope="module")
def api(settings: Settings) -> Any:
    """The ``api`` function, as Cloud Functions would load it."""
    return function_client("api")


@pytest.fixture(scope="module")
def alice(api: Any) -> UserClient:
    return UserClient(api, "alice")


@pytest.fixture(scope="module")
def bob(api: Any) -> UserClient:
    return UserClient(api, "bob")
