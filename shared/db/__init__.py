"""Database access: a small per-instance pool of pg8000 DB-API connections, each with
the pgvector adapters, and transactions as context managers that return rows as dicts.

Nothing connects at import: the pool opens a connection on first use and keeps it
while the instance is warm. Driver errors leave this module as the project's errors:
a lost or refused connection is ``Retryable`` (the caller answers non-2xx so the
delivery is retried)."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any

from shared.config import Settings, get_settings
from shared.db.connect import Connect, connector_for
from shared.db.features import ServerFeatures
from shared.db.features import read as read_features
from shared.db.statements import PLAN_CHANGED, Result, Statements
from shared.db.vector import register
from shared.errors import Retryable

Row = dict[str, Any]

_CONNECTION_LOST = {"57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004"}


def _is_connection_error(exc: BaseException) -> bool:
    import pg8000.dbapi

    if isinstance(exc, pg8000.dbapi.InterfaceError | OSError | ConnectionError):
        return True
    args = exc.args[0] if exc.args else None
    return isinstance(args, dict) and args.get("C") in _CONNECTION_LOST


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a driver error (``23505`` for a unique violation), if any."""
    args = exc.args[0] if exc.args else None
    return args.get("C") if isinstance(args, dict) else None


def _prepare(conn: Any) -> None:
    """Every connection works in UTC: a server's ``TimeZone`` comes from wherever its
    cluster was created (the embedded one takes ``TZ`` at ``initdb``), and timestamps
    rendered in SQL must not depend on it."""
    cur = conn.cursor()
    try:
        cur.execute("SET TIME ZONE 'UTC'")
    finally:
        cur.close()
    conn.commit()
    register(conn)


class Tx:
    """One transaction on a connection, and what its server offers (``features``). SQL
    uses ``%s`` placeholders, always parameterised; each statement is prepared once per
    connection (``shared.db.statements``)."""

    def __init__(self, statements: Statements, features: ServerFeatures) -> None:
        self._statements = statements
        self.features = features
        self.after_commit: list[Callable[[], None]] = []
        self.state: dict[str, Any] = {}  # per-transaction data of the layers above

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._statements.run(sql, tuple(params)).row_count

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        for row in rows:
            self._statements.run(sql, tuple(row))

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return _rows(self._statements.run(sql, tuple(params)))

    def batch(self, queries: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Row]]:
        """The rows of each of several independent statements, sent together (one round
        trip): for reads that do not depend on one another."""
        results = self._statements.batch([(sql, tuple(params)) for sql, params in queries])
        return [_rows(result) for result in results]

    def defer(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Execute a write whose result nobody reads with the next statement or with
        the commit, in the same round trip. When it fails the transaction rolls back
        and the error is raised where it is sent (at the latest, leaving the block)."""
        self._statements.defer(sql, tuple(params))

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self.all(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        result = self._statements.run(sql, tuple(params))
        return result.rows[0][0] if result.rows else None


def _rows(result: Result) -> list[Row]:
    if result.columns is None:
        return []
    names = result.columns
    return [dict(zip(names, row, strict=True)) for row in result.rows]


class Database:
    """A bounded pool over a connection factory."""

    def __init__(self, connect: Connect, size: int = 4) -> None:
        self._connect = connect
        self._idle: queue.LifoQueue[Statements] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._features: ServerFeatures | None = None

    @property
    def features(self) -> ServerFeatures:
        """What the server offers, read on the pool's first connection."""
        if self._features is not None:
            return self._features
        with self.transaction() as tx:
            return tx.features

    def forget_features(self) -> None:
        """Read them again on the next checkout (after migrations created extensions)."""
        self._features = None

    def _checkout(self) -> tuple[Statements, ServerFeatures]:
        if not self._slots.acquire(timeout=30):
            raise Retryable("database: no connection free in the pool")
        try:
            pooled: Statements | None = self._idle.get_nowait()
        except queue.Empty:
            pooled = None
        conn = pooled.conn if pooled is not None else None
        try:
            if conn is None:
                conn = self._connect()
                _prepare(conn)
                pooled = Statements(conn)
            features = self._features or read_features(conn)
            self._features = features
            assert pooled is not None
            return pooled, features
        except Exception as exc:
            if conn is not None:
                with contextlib.suppress(Exception):  # discarded anyway
                    conn.close()
            self._slots.release()
            raise Retryable(f"database unavailable: {type(exc).__name__}") from exc

    def _checkin(self, pooled: Statements, broken: bool) -> None:
        if broken:
            with contextlib.suppress(Exception):  # discarded anyway
                pooled.conn.close()
        else:
            self._idle.put(pooled)
        self._slots.release()

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """Commit when the block ends, roll back when it raises. Callbacks a block adds
        to ``tx.after_commit`` run once the commit succeeded (e.g. publish an event)."""
        statements, features = self._checkout()
        broken = False
        tx = Tx(statements, features)
        try:
            yield tx
            statements.end(commit=True)
        except BaseException as exc:
            broken = _is_connection_error(exc)
            if not broken:
                try:
                    statements.end(commit=False)
                except Exception:
                    broken = True
            if sqlstate(exc) == PLAN_CHANGED:  # its prepared statements are stale: drop it
                broken = True
                raise Retryable(f"database: a statement's result changed: {exc}") from exc
            if broken and not isinstance(exc, Retryable):
                raise Retryable(f"database connection lost: {type(exc).__name__}") from exc
            raise
        finally:
            self._checkin(statements, broken)
        for callback in tx.after_commit:
            callback()

    @contextmanager
    def autocommit(self, timeout: float | None = None) -> Iterator[Tx]:
        """A pooled connection whose every statement commits on its own, for what
        PostgreSQL refuses inside a transaction (``CREATE INDEX CONCURRENTLY``);
        ``timeout``: seconds a statement may take instead of the connection's own (an
        index build outlasts it)."""
        statements, features = self._checkout()
        conn = statements.conn
        broken = False
        conn.autocommit = True
        sock = getattr(conn, "_usock", None)  # pg8000's socket: its timeout is per read
        before = sock.gettimeout() if sock is not None else None
        if sock is not None and timeout is not None:
            sock.settimeout(timeout)
        try:
            yield Tx(statements, features)
        except BaseException as exc:
            broken = _is_connection_error(exc)
            raise
        finally:
            try:
                conn.autocommit = False
                if sock is not None:
                    sock.settimeout(before)
            except Exception:
                broken = True
            self._checkin(statements, broken)

    def close(self) -> None:
        while True:
            try:
                pooled = self._idle.get_nowait()
            except queue.Empty:
                return
            with contextlib.suppress(Exception):  # closing on shutdown
                pooled.conn.close()


def database_for(settings: Settings) -> Database:
    return Database(connector_for(settings), settings.db_pool_size)


@cache
def get_database() -> Database:
    """The instance's pool, created on first use and reused while warm."""
    return database_for(get_settings())
