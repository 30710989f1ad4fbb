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
from functools import cache, lru_cache
from typing import Any

from shared.config import Settings, get_settings
from shared.db.connect import Connect, connector_for
from shared.db.features import ServerFeatures
from shared.db.features import read as read_features
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


@lru_cache(maxsize=4096)  # statement texts: templates, a bounded set
def _converted(style: str, sql: str) -> str:
    return str(_PG8000_CONVERT[0](style, sql, ())[0])


_PG8000_CONVERT: list[Any] = []


def _remember_conversions() -> None:
    """pg8000 rewrites each statement's ``%s`` placeholders to ``$n`` by scanning it a
    character at a time in Python, on every execution: about half a millisecond for a
    recall's statements, a quarter of a hybrid recall's time. In the ``format`` style
    the rewritten text depends on the statement alone (the values pass unchanged), so
    it is computed once per statement text; the other styles keep pg8000's own path."""
    import pg8000.dbapi

    if _PG8000_CONVERT:
        return
    original = pg8000.dbapi.convert_paramstyle
    _PG8000_CONVERT.append(original)

    def convert(style: str, query: str, args: Any) -> tuple[str, Any]:
        if style != "format":
            return original(style, query, args)  # type: ignore[no-any-return]
        return _converted(style, query), args

    pg8000.dbapi.convert_paramstyle = convert


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
    _remember_conversions()


class Tx:
    """One transaction's cursor, and what its server offers (``features``). SQL uses
    ``%s`` placeholders, always parameterised."""

    def __init__(self, cursor: Any, features: ServerFeatures) -> None:
        self._cur = cursor
        self.features = features
        self.after_commit: list[Callable[[], None]] = []
        self.state: dict[str, Any] = {}  # per-transaction data of the layers above

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        self._cur.execute(sql, tuple(params))
        return int(self._cur.rowcount)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._cur.executemany(sql, [tuple(r) for r in rows])

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self._cur.execute(sql, tuple(params))
        if self._cur.description is None:
            return []
        names = [d[0] for d in self._cur.description]
        return [dict(zip(names, row, strict=True)) for row in self._cur.fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self.all(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        self._cur.execute(sql, tuple(params))
        row = self._cur.fetchone()
        return row[0] if row else None


class Database:
    """A bounded pool over a connection factory."""

    def __init__(self, connect: Connect, size: int = 4) -> None:
        self._connect = connect
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
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

    def _checkout(self) -> tuple[Any, ServerFeatures]:
        if not self._slots.acquire(timeout=30):
            raise Retryable("database: no connection free in the pool")
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            conn = None
        try:
            if conn is None:
                conn = self._connect()
                _prepare(conn)
            features = self._features or read_features(conn)
            self._features = features
            return conn, features
        except Exception as exc:
            if conn is not None:
                with contextlib.suppress(Exception):  # discarded anyway
                    conn.close()
            self._slots.release()
            raise Retryable(f"database unavailable: {type(exc).__name__}") from exc

    def _checkin(self, conn: Any, broken: bool) -> None:
        if broken:
            with contextlib.suppress(Exception):  # discarded anyway
                conn.close()
        else:
            self._idle.put(conn)
        self._slots.release()

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """Commit when the block ends, roll back when it raises. Callbacks a block adds
        to ``tx.after_commit`` run once the commit succeeded (e.g. publish an event)."""
        conn, features = self._checkout()
        broken = False
        cur = conn.cursor()
        tx = Tx(cur, features)
        try:
            yield tx
            conn.commit()
        except BaseException as exc:
            broken = _is_connection_error(exc)
            if not broken:
                try:
                    conn.rollback()
                except Exception:
                    broken = True
            if broken and not isinstance(exc, Retryable):
                raise Retryable(f"database connection lost: {type(exc).__name__}") from exc
            raise
        finally:
            try:
                cur.close()
            except Exception:
                broken = True
            self._checkin(conn, broken)
        for callback in tx.after_commit:
            callback()

    @contextmanager
    def autocommit(self, timeout: float | None = None) -> Iterator[Tx]:
        """A pooled connection whose every statement commits on its own, for what
        PostgreSQL refuses inside a transaction (``CREATE INDEX CONCURRENTLY``);
        ``timeout``: seconds a statement may take instead of the connection's own (an
        index build outlasts it)."""
        conn, features = self._checkout()
        broken = False
        conn.autocommit = True
        sock = getattr(conn, "_usock", None)  # pg8000's socket: its timeout is per read
        before = sock.gettimeout() if sock is not None else None
        if sock is not None and timeout is not None:
            sock.settimeout(timeout)
        cur = conn.cursor()
        try:
            yield Tx(cur, features)
        except BaseException as exc:
            broken = _is_connection_error(exc)
            raise
        finally:
            try:
                cur.close()
                conn.autocommit = False
                if sock is not None:
                    sock.settimeout(before)
            except Exception:
                broken = True
            self._checkin(conn, broken)

    def close(self) -> None:
        while True:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                return
            with contextlib.suppress(Exception):  # closing on shutdown
                conn.close()


def database_for(settings: Settings) -> Database:
    return Database(connector_for(settings), settings.db_pool_size)


@cache
def get_database() -> Database:
    """The instance's pool, created on first use and reused while warm."""
    return database_for(get_settings())
