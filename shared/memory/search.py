"""Nearest-neighbour search in one store, correct under per-user filters.

pgvector applies ``WHERE`` after the HNSW index scan has produced its ``ef_search``
candidates, so a user who owns a small share of a table gets few or none of their rows
back at the default ``ef_search`` of 40. pgvector 0.8 can go on scanning
(``hnsw.iterative_scan``); 0.6 (older Cloud SQL instances) cannot. The strategy:

- the user's matching rows are counted (capped): when there are at most
  ``MEMORY_EXACT_SCAN_MAX_ROWS`` of them, an exact scan over just those rows (found by
  the ``user_id`` indexes) is both correct and cheap;
- otherwise, where the server has pgvector 0.8, the HNSW index is scanned iteratively
  (``hnsw.iterative_scan = relaxed_order``): it goes on past ``ef_search`` until
  ``candidates`` rows of the user have come out (or ``hnsw.max_scan_tuples``, set for
  this query to about twice the tuples that takes at the user's share of the table, is
  reached), and those candidates are re-ordered by their exact distance. When that
  scan would visit more tuples than the user has rows, the exact scan is cheaper and is
  used instead;
- on pgvector 0.6 and 0.7 (no iterative scan) the index is used with ``ef_search``
  raised for this query so that, at the user's share of the table, the candidate list
  holds about twice the rows asked for; when that would exceed
  ``MEMORY_EF_SEARCH_MAX``, the scan is exact;
- an index scan that still returns fewer rows than asked (and than exist) is redone
  exactly, so a filter never silently loses results.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.config import get_settings
from shared.db import Row, Tx
from shared.memory.kinds import Kind

if TYPE_CHECKING:
    from pgvector import Vector

DEFAULT_EF_SEARCH = 40
DEFAULT_MAX_SCAN_TUPLES = 20000  # pgvector 0.8's default hnsw.max_scan_tuples
_DEFAULTS = {
    "hnsw.ef_search": str(DEFAULT_EF_SEARCH),
    "hnsw.iterative_scan": "off",
    "hnsw.max_scan_tuples": str(DEFAULT_MAX_SCAN_TUPLES),
}
_HEADROOM = 2.0  # tuples (or candidates) visited per one wanted, at the user's share
CANDIDATES_PER_ROW = 4  # rows an iterative scan collects per row asked for, re-ordered


@dataclass(frozen=True)
class Filters:
    agent_id: str | None = None
    agent_exact: bool = False  # True: agent_id must equal agent_id, NULL included
    category: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    include_inactive: bool = False  # archived episodic, expired semantic


@dataclass(frozen=True)
class Plan:
    exact: bool
    ef_search: int | None = None
    matching: int = 0
    iterative: bool = False  # hnsw.iterative_scan (pgvector 0.8), then exact re-order
    candidates: int = 0  # iterative: rows collected before the re-order
    max_scan_tuples: int = 0  # iterative: hnsw.max_scan_tuples for the query

    @property
    def strategy(self) -> str:
        if self.exact:
            return "exact scan"
        if self.iterative:
            return (
                f"hnsw iterative scan (candidates={self.candidates}, "
                f"max_scan_tuples={self.max_scan_tuples}), exact re-order"
            )
        return f"hnsw (ef_search={self.ef_search})"


def where(kind: Kind, user_id: str, model: str | None, filters: Filters) -> tuple[str, list[Any]]:
    """The WHERE clause of a search: always the user; for a search by vector
    (``model`` given) also the embedding model, since only its vectors compare."""
    clauses = ["user_id = %s"]
    params: list[Any] = [user_id]
    if model is not None:
        clauses += ["embedding_model = %s", "embedding IS NOT NULL"]
        params.append(model)
    if filters.agent_exact:
        clauses.append("agent_id IS NOT DISTINCT FROM %s")
        params.append(filters.agent_id)
    elif filters.agent_id is not None:
        clauses.append("agent_id = %s")
        params.append(filters.agent_id)
    if filters.category is not None:
        clauses.append(f"{kind.category_column} = %s")
        params.append(filters.category)
    if filters.since is not None:
        clauses.append("created_at >= %s")
        params.append(filters.since)
    if filters.until is not None:
        clauses.append("created_at < %s")
        params.append(filters.until)
    if not filters.include_inactive:
        clauses.append(kind.live)
    return " AND ".join(clauses), params


def choose(tx: Tx, kind: Kind, clause: str, params: list[Any], limit: int) -> Plan:
    settings = get_settings()
    cap = settings.memory_exact_scan_max_rows
    few = tx.scalar(
        f"SELECT count(*) FROM (SELECT 1 FROM {kind.table} WHERE {clause} LIMIT %s) s",
        [*params, cap + 1],
    )
    if few <= cap:
        return Plan(exact=True, matching=int(few))
    matching = int(tx.scalar(f"SELECT count(*) FROM {kind.table} WHERE {clause}", params))
    estimate = tx.scalar(
        "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass",
        (kind.table,),
    )
    total = max(int(estimate or 0), matching)
    if tx.features.iterative_scan:
        return _iterative(total, matching, limit)
    ef = math.ceil(limit * _HEADROOM * total / max(matching, 1))
    if ef > settings.memory_ef_search_max:
        return Plan(exact=True, matching=matching)
    return Plan(exact=False, ef_search=max(ef, limit, DEFAULT_EF_SEARCH), matching=matching)


def _iterative(total: int, matching: int, limit: int) -> Plan:
    """The index scan visits about ``candidates`` / share tuples (each checked against
    the filter on its heap row); past the user's own row count an exact scan is cheaper."""
    candidates = max(limit * CANDIDATES_PER_ROW, DEFAULT_EF_SEARCH)
    tuples = math.ceil(_HEADROOM * candidates * total / max(matching, 1))
    if tuples > matching:
        return Plan(exact=True, matching=matching)
    return Plan(
        exact=False,
        ef_search=candidates,
        matching=matching,
        iterative=True,
        candidates=candidates,
        max_scan_tuples=max(tuples, DEFAULT_MAX_SCAN_TUPLES),
    )


def search_sql(kind: Kind, clause: str, plan: Plan) -> str:
    """The query ``plan`` runs; its parameters come from ``search_params``. The exact
    form materialises the user's rows first so the planner cannot order by the index;
    the iterative form materialises the index's candidates, then orders them exactly."""
    if plan.exact:
        return (
            f"WITH candidates AS MATERIALIZED (SELECT {kind.select}, "
            f"embedding <=> %s::vector AS distance FROM {kind.table} WHERE {clause}) "
            f"SELECT {kind.select}, 1 - distance AS similarity FROM candidates "
            "ORDER BY distance, id LIMIT %s"
        )
    if plan.iterative:
        return (
            f"WITH candidates AS MATERIALIZED (SELECT {kind.select}, "
            f"embedding <=> %s::vector AS distance FROM {kind.table} WHERE {clause} "
            "ORDER BY embedding <=> %s::vector LIMIT %s) "
            f"SELECT {kind.select}, 1 - distance AS similarity FROM candidates "
            "ORDER BY distance, id LIMIT %s"
        )
    return (
        f"SELECT {kind.select}, 1 - (embedding <=> %s::vector) AS similarity "
        f"FROM {kind.table} WHERE {clause} ORDER BY embedding <=> %s::vector LIMIT %s"
    )


def search_params(clause_params: list[Any], vector: Vector, limit: int, plan: Plan) -> list[Any]:
    if plan.exact:
        return [vector, *clause_params, limit]
    if plan.iterative:
        return [vector, *clause_params, vector, plan.candidates, limit]
    return [vector, *clause_params, vector, limit]


def overrides(plan: Plan) -> dict[str, str]:
    """The server settings an index scan of ``plan`` runs with (none for an exact one)."""
    if plan.exact:
        return {}
    values = {"hnsw.ef_search": str(plan.ef_search)}
    if plan.iterative:
        values["hnsw.iterative_scan"] = "relaxed_order"
        values["hnsw.max_scan_tuples"] = str(plan.max_scan_tuples)
    return values


def _run(
    tx: Tx,
    kind: Kind,
    clause: str,
    params: list[Any],
    vector: Vector,
    plan: Plan,
    limit: int,
    explain: bool = False,
) -> list[Row]:
    sql = search_sql(kind, clause, plan)
    if explain:
        sql = "EXPLAIN " + sql
    with settings_for_query(tx, overrides(plan)):
        return tx.all(sql, search_params(params, vector, limit, plan))


@contextmanager
def settings_for_query(tx: Tx, overrides: dict[str, str]) -> Iterator[None]:
    """Set server settings for one query and put them back: the transaction goes on
    (a dedupe search is followed by the write) with the session's own values. One
    round trip reads the previous values and sets the new ones (the subquery is read
    before the outer select list), one restores them."""
    if not overrides:
        yield
        return
    names = list(overrides)
    reads = ", ".join(f"current_setting(%s, true) AS s{i}" for i in range(len(names)))
    sets = ", ".join("set_config(%s, %s, true)" for _ in names)
    row = tx.one(
        f"SELECT p.*, {sets} FROM (SELECT {reads} OFFSET 0) p",
        [*(x for name in names for x in (name, overrides[name])), *names],
    )
    assert row is not None
    previous = [row[f"s{i}"] or _DEFAULTS[name] for i, name in enumerate(names)]
    try:
        yield
    finally:
        tx.scalar(
            f"SELECT {sets}",
            [x for name, value in zip(names, previous, strict=True) for x in (name, value)],
        )


def nearest(
    tx: Tx, kind: Kind, user_id: str, vector: Vector, model: str, filters: Filters, limit: int
) -> list[Row]:
    """The user's ``limit`` rows nearest ``vector``, each with ``similarity`` (cosine)."""
    clause, params = where(kind, user_id, model, filters)
    plan = choose(tx, kind, clause, params, limit)
    if plan.exact and plan.matching == 0:
        return []  # nothing of the user's to compare: no search to run
    rows = _run(tx, kind, clause, params, vector, plan, limit)
    if not plan.exact and len(rows) < min(limit, plan.matching):
        rows = _run(tx, kind, clause, params, vector, Plan(exact=True), limit)
    return rows


def explain(
    tx: Tx, kind: Kind, user_id: str, vector: Vector, model: str, filters: Filters, limit: int
) -> tuple[Plan, str]:
    """The plan ``nearest`` chooses and PostgreSQL's EXPLAIN of the query it runs."""
    clause, params = where(kind, user_id, model, filters)
    plan = choose(tx, kind, clause, params, limit)
    rows = _run(tx, kind, clause, params, vector, plan, limit, explain=True)
    return plan, "\n".join(str(next(iter(r.values()))) for r in rows)
