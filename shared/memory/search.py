"""Nearest-neighbour search in one store, correct under per-user filters.

pgvector applies ``WHERE`` after the HNSW index scan has produced its ``ef_search``
candidates, so a user who owns a small share of a table gets few or none of their rows
back at the default ``ef_search`` of 40. pgvector 0.8 can go on scanning
(``hnsw.iterative_scan``); 0.6 (older Cloud SQL instances) cannot. The strategy:

- the user's matching rows are counted, and counting stops one row past the number
  that decides the strategy (an index-only scan of migration 0145's counting index
  when no filter needs the rows themselves): when there are at most
  ``MEMORY_EXACT_SCAN_MAX_ROWS`` of them, an exact scan over just those rows (found by
  the ``user_id`` indexes) is both correct and cheap;
- otherwise, where the server has pgvector 0.8, the HNSW index is scanned iteratively
  (``hnsw.iterative_scan = relaxed_order``): it goes on past ``ef_search`` until
  ``candidates`` rows of the user have come out (or ``hnsw.max_scan_tuples``, set for
  this query to about twice the tuples that takes at the user's share of the table, is
  reached), and those candidates are re-ordered by their exact distance. The re-order
  sorts by ``distance + 0``: PostgreSQL 17 and later know the materialised candidates
  come out of an index ordered by ``distance`` and would otherwise read only the first
  ``limit`` of them, in the index's relaxed order. Below the row count at which that
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
_HEADROOM = 2.0  # tuples (or candidates) visited per one wanted, at the user's share
CANDIDATES_PER_ROW = 4  # rows an iterative scan collects per row asked for, re-ordered
OWN_EF_PER_CANDIDATE = 2  # a user's own index: hnsw.ef_search per candidate collected


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
    own_index: bool = False  # the user's own partial HNSW index (shared/memory/user_index.py)

    @property
    def strategy(self) -> str:
        if self.exact:
            return "exact scan"
        index = "the user's own hnsw index" if self.own_index else "hnsw"
        if self.iterative:
            return (
                f"{index} iterative scan (ef_search={self.ef_search}, "
                f"candidates={self.candidates}, max_scan_tuples={self.max_scan_tuples}), "
                "exact re-order"
            )
        return f"{index} (ef_search={self.ef_search})"


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


def _counted(kind: Kind, user_id: str, model: str, filters: Filters) -> tuple[str, list[Any]]:
    """How many rows of the user ``filters`` may match, counted where it is cheap.

    With no filter but the user, the model and (for an agent-scoped store) the agent,
    migration 0145's counting index answers from its own pages (an index-only scan over
    a deduplicated btree: a few pages for ten thousand rows), counting the rows that are
    live for good (``Kind.lasting``), a lower bound of the live ones. Reading the rows
    themselves instead costs a heap page per two rows: that count, not the search, was
    most of a large user's recall. Other filters are counted on the rows they test."""
    if (
        filters.category is not None
        or filters.since is not None
        or filters.until is not None
        or filters.include_inactive
    ):
        return where(kind, user_id, model, filters)
    clauses = ["user_id = %s", "embedding_model = %s", "embedding IS NOT NULL"]
    params: list[Any] = [user_id, model]
    if kind.lasting:
        clauses.append(kind.lasting)
    if filters.agent_id is not None:
        clauses.append("agent_id = %s")
        params.append(filters.agent_id)
    elif filters.agent_exact:
        clauses.append("agent_id IS NULL")
    return " AND ".join(clauses), params


def choose(tx: Tx, kind: Kind, user_id: str, model: str, filters: Filters, limit: int) -> Plan:
    """The cheaper correct search for the user's rows: exact up to the threshold (and,
    through the shared index, wherever an index scan would visit more tuples than
    that), else the index: the user's own where one is recorded. Counting
    stops at the first row past what decides it, so the cost follows that, not the
    user's size."""
    settings = get_settings()
    candidates = max(limit * CANDIDATES_PER_ROW, DEFAULT_EF_SEARCH)
    # Past ``enough`` rows (at the table's size, read in the same statement) an index scan
    # is worth it: iteratively, it visits fewer tuples than the user has rows; before
    # pgvector 0.8, ef_search stays within MEMORY_EF_SEARCH_MAX.
    iterative = tx.features.iterative_scan
    by_root = _HEADROOM * candidates if iterative else 0.0
    by_share = 0.0 if iterative else limit * _HEADROOM / settings.memory_ef_search_max
    clause, params = _counted(kind, user_id, model, filters)
    row = tx.one(
        "SELECT t.total, t.enough, t.own, (SELECT count(*) FROM (SELECT 1 FROM "
        f"{kind.table} WHERE {clause} LIMIT t.enough + 1) s) AS matching "
        "FROM (SELECT total, own, CASE WHEN own THEN %s ELSE greatest(%s, "
        "ceil(sqrt(%s::float8 * total)), ceil(%s::float8 * total)) END::bigint AS enough "
        "FROM (SELECT greatest(reltuples, 0)::bigint AS total, EXISTS (SELECT 1 FROM "
        "memory_user_indexes WHERE user_id = %s AND store = %s) AS own FROM pg_class "
        "WHERE oid = %s::regclass) c) t",
        [
            *params,
            settings.memory_exact_scan_max_rows,
            settings.memory_exact_scan_max_rows,
            by_root,
            by_share,
            user_id,
            kind.table,
            kind.table,
        ],
    )
    assert row is not None
    total, enough, matching = int(row["total"]), int(row["enough"]), int(row["matching"])
    if matching <= enough:
        return Plan(exact=True, matching=matching)
    if row["own"]:
        return _own(iterative, matching, candidates)
    total = max(total, matching)
    if iterative:
        return _iterative(total, matching, candidates)
    ef = math.ceil(limit * _HEADROOM * total / matching)
    return Plan(exact=False, ef_search=max(ef, limit, DEFAULT_EF_SEARCH), matching=matching)


def _own(iterative: bool, matching: int, candidates: int) -> Plan:
    """Through the user's own index, whose graph holds only the user's rows: the
    search of an unfiltered table, at twice the candidates as ``ef_search``; iterative
    (where pgvector has it) only for the rows the other filters drop."""
    ef = min(OWN_EF_PER_CANDIDATE * candidates, 1000)
    if not iterative:
        return Plan(exact=False, ef_search=ef, matching=matching, own_index=True)
    return Plan(
        exact=False,
        ef_search=ef,
        matching=matching,
        iterative=True,
        candidates=candidates,
        max_scan_tuples=DEFAULT_MAX_SCAN_TUPLES,
        own_index=True,
    )


def _iterative(total: int, matching: int, candidates: int) -> Plan:
    """The index scan visits about ``candidates`` / share tuples, each checked against
    the filter on its heap row; ``matching`` is a lower bound of the user's rows, so
    ``max_scan_tuples`` an upper bound of what the scan needs."""
    tuples = math.ceil(_HEADROOM * candidates * total / matching)
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
            "ORDER BY distance + 0, id LIMIT %s"
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
    # A statement prepared on the connection gets a generic plan after five runs when
    # that looks no dearer, and a generic plan cannot use a user's own partial index
    # (``user_id = $1`` does not imply its ``user_id = '<user>'``): it would walk the
    # shared index instead, several times slower. Each index search is planned for its
    # own values.
    values = {"plan_cache_mode": "force_custom_plan", "hnsw.ef_search": str(plan.ef_search)}
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
    explain: str = "",
) -> list[Row]:
    sql = search_sql(kind, clause, plan)
    if explain:
        sql = f"{explain} {sql}"
    set_for_transaction(tx, overrides(plan))
    return tx.all(sql, search_params(params, vector, limit, plan))


def set_for_transaction(tx: Tx, overrides: dict[str, str]) -> None:
    """Set server settings until the transaction ends, in one round trip. Nothing after
    an index scan depends on them: every index scan here sets all of its own, an exact
    scan and the write that follows a dedupe search read none, and the next
    transaction starts from the session's values."""
    if overrides:
        sets = ", ".join("set_config(%s, %s, true)" for _ in overrides)
        tx.scalar(f"SELECT {sets}", [x for item in overrides.items() for x in item])


def nearest(
    tx: Tx, kind: Kind, user_id: str, vector: Vector, model: str, filters: Filters, limit: int
) -> list[Row]:
    """The user's ``limit`` rows nearest ``vector``, each with ``similarity`` (cosine)."""
    plan = choose(tx, kind, user_id, model, filters, limit)
    if plan.exact and plan.matching == 0:
        return []  # nothing of the user's to compare: no search to run
    clause, params = where(kind, user_id, model, filters)
    rows = _run(tx, kind, clause, params, vector, plan, limit)
    if not plan.exact and len(rows) < min(limit, plan.matching):
        rows = _run(tx, kind, clause, params, vector, Plan(exact=True), limit)
    return rows


def explain(
    tx: Tx,
    kind: Kind,
    user_id: str,
    vector: Vector,
    model: str,
    filters: Filters,
    limit: int,
    analyze: bool = False,
) -> tuple[Plan, str]:
    """The plan ``nearest`` chooses and PostgreSQL's EXPLAIN of the query it runs
    (``analyze``: run, with the rows and buffers each step took)."""
    plan = choose(tx, kind, user_id, model, filters, limit)
    clause, params = where(kind, user_id, model, filters)
    how = "EXPLAIN (ANALYZE, BUFFERS)" if analyze else "EXPLAIN"
    rows = _run(tx, kind, clause, params, vector, plan, limit, explain=how)
    return plan, "\n".join(str(next(iter(r.values()))) for r in rows)
