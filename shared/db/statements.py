"""Statements on a pg8000 connection in as few round trips as the protocol allows.

pg8000's DB-API cursor runs every parameterised statement unnamed: it rewrites the
``%s`` placeholders by scanning the SQL in Python, then waits three times on the server
(parse, describe, execute), and its ``commit`` is one more such statement. Here each
statement's rewritten text is computed once per process, each connection prepares a
statement once and then only binds and executes it (one round trip), a transaction's
``BEGIN`` travels with its first statement, independent statements can travel
together (``batch``), statements whose results nobody reads can travel with the
``COMMIT`` (``defer``), and ``COMMIT``/``ROLLBACK`` are simple queries. Types are inferred by the server exactly as for the
unnamed statement, so the results are the same.

A connection keeps at most ``CACHE_SIZE`` prepared statements, closing the least
recently used. A prepared statement whose result columns a migration changed fails
with ``cached plan must not change result type`` (``0A000``): the pool then discards
the connection, and its statements with it."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

CACHE_SIZE = 256
PLAN_CHANGED = "0A000"


@lru_cache(maxsize=4096)
def _numbered(sql: str) -> str:
    """``sql`` with pg8000's ``format`` placeholders (``%s``, ``%%``) as ``$1``, ``%``."""
    from pg8000.dbapi import convert_paramstyle

    statement, _ = convert_paramstyle("format", sql, ())
    return str(statement)


@dataclass
class Result:
    columns: list[str] | None  # None: the statement returns no rows
    rows: list[list[Any]]
    row_count: int


@dataclass(frozen=True)
class _Prepared:
    name: bytes
    columns: Any
    input_funcs: Any
    statement: str


class Statements:
    """One connection's prepared statements, and the statements its open transaction
    deferred to its commit."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._prepared: OrderedDict[tuple[str, bool], _Prepared] = OrderedDict()
        self._deferred: list[tuple[str, tuple[Any, ...]]] = []

    @property
    def conn(self) -> Any:
        return self._conn

    def run(self, sql: str, params: tuple[Any, ...]) -> Result:
        """Execute ``sql`` with ``params`` inside the connection's transaction (begun
        here when none is open)."""
        if not params and not self._deferred:
            # as the DB-API cursor does: the simple protocol, the SQL as it is
            conn = self._conn
            if not conn._in_transaction and not conn.autocommit:
                conn.execute_simple("begin transaction")
            return _result(conn.execute_simple(sql))
        return self.batch([(sql, params)])[0]

    def batch(self, queries: list[tuple[str, tuple[Any, ...]]]) -> list[Result]:
        """Execute independent statements in one round trip, in order; their results.
        The first that fails raises (the transaction is then aborted, as always)."""
        deferred, self._deferred = self._deferred, []
        contexts = self._pipeline([*deferred, *queries], commit=False)
        return [_result(context) for context in contexts[len(deferred) :]]

    def defer(self, sql: str, params: tuple[Any, ...]) -> None:
        """Execute ``sql`` with the next statement, or with the commit (in the same
        round trip); a failure then makes the commit a rollback and raises from it."""
        self._deferred.append((sql, params))

    def end(self, commit: bool) -> None:
        """Commit (with the deferred statements) or roll back the open transaction."""
        deferred, self._deferred = self._deferred, []
        if commit and deferred:
            self._pipeline(deferred, commit=True)
            return
        conn = self._conn
        if conn._in_transaction:
            conn.execute_simple("commit" if commit else "rollback")

    def _pipeline(self, queries: list[tuple[str, tuple[Any, ...]]], *, commit: bool) -> list[Any]:
        """Bind and execute each statement (each followed by a Sync, so each answer ends
        on its own), after a ``BEGIN`` when no transaction is open and before a
        ``COMMIT`` when asked, all sent at once; then read every answer."""
        from pg8000.core import SYNC_MSG, Context, _flush, _write, make_params

        conn = self._conn
        prepared = [
            self._get(sql, bool(params)) for sql, params in queries
        ]  # a new one costs a round trip once
        begin = not conn._in_transaction and not conn.autocommit
        if begin:
            conn.send_QUERY("begin transaction")
        contexts = []
        for statement, (_, params) in zip(prepared, queries, strict=True):
            conn.send_BIND(statement.name, make_params(conn.py_types, params))
            conn.send_EXECUTE()
            _write(conn._sock, SYNC_MSG)
            contexts.append(
                Context(
                    statement.statement,
                    columns=statement.columns,
                    input_funcs=statement.input_funcs,
                )
            )
        if commit:
            conn.send_QUERY("commit")
        _flush(conn._sock)
        answers = ([Context("begin transaction")] if begin else []) + contexts
        if commit:
            answers.append(Context("commit"))
        failure: Exception | None = None
        for context in answers:  # read them all, whatever fails, so the connection stays usable
            try:
                conn.handle_messages(context)
            except Exception as exc:
                failure = failure or exc
        if failure is not None:
            raise failure
        return contexts

    def _get(self, sql: str, placeholders: bool) -> _Prepared:
        """The statement prepared; its placeholders rewritten only when it has
        parameters (without, the DB-API cursor sends SQL as it is, ``%%`` included)."""
        key = (sql, placeholders)
        prepared = self._prepared.get(key)
        if prepared is not None:
            self._prepared.move_to_end(key)
            return prepared
        conn = self._conn
        statement = _numbered(sql) if placeholders else sql
        name, columns, input_funcs = conn.prepare_statement(statement, ())
        prepared = _Prepared(name, columns, input_funcs, statement)
        self._prepared[key] = prepared
        if len(self._prepared) > CACHE_SIZE:
            _, oldest = self._prepared.popitem(last=False)
            conn.close_prepared_statement(oldest.name)
        return prepared


def _result(context: Any) -> Result:
    columns = None if context.columns is None else [c["name"] for c in context.columns]
    return Result(columns, context.rows or [], context.row_count)
