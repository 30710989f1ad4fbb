"""Recall: a user's memories best matching a query, across stores, with filters: by
meaning, by keyword, or both fused."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from shared.db import Row, Tx, get_database
from shared.errors import Invalid
from shared.memory import keyword
from shared.memory.fusion import Ranking, fuse, merged
from shared.memory.kinds import KINDS, MEMORY_TYPES, kind_of
from shared.memory.search import Filters, nearest
from shared.memory.search import explain as explain_search
from shared.memory.store import embed
from shared.model import get_model
from shared.model.port import Usage

if TYPE_CHECKING:
    from pgvector import Vector

MAX_LIMIT = 50
MAX_QUERY_CHARS = 2000

RecallMode = Literal["semantic", "keyword", "hybrid"]
RECALL_MODES: tuple[RecallMode, ...] = ("semantic", "keyword", "hybrid")
# Candidates each ranking contributes to a hybrid fusion, per row asked for: a memory
# just below one ranking's cut can still be lifted by the other's.
HYBRID_DEPTH = 2


def _check(query: str, type: str | None, limit: int, mode: str = "semantic") -> None:
    if not isinstance(query, str) or not query.strip():
        raise Invalid("query: must not be empty")
    if len(query) > MAX_QUERY_CHARS:
        raise Invalid(f"query: at most {MAX_QUERY_CHARS} characters")
    if type is not None and type not in KINDS:
        raise Invalid(f"type: must be one of {', '.join(MEMORY_TYPES)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit: must be between 1 and {MAX_LIMIT}")
    if mode not in RECALL_MODES:
        raise Invalid(f"mode: must be one of {', '.join(RECALL_MODES)}")


def _typed(memory_type: str, rows: list[Row], score: str) -> list[Row]:
    return [
        {
            "type": memory_type,
            **row,
            "similarity": None if row["similarity"] is None else float(row["similarity"]),
            "score": float(row[score]),
        }
        for row in rows
    ]


def _semantic(
    tx: Tx, types: list[str], user_id: str, vector: Vector, filters: Filters, depth: int
) -> Ranking:
    model = get_model().embedding_model
    rows: list[Row] = []
    for memory_type in types:
        found = nearest(tx, kind_of(memory_type), user_id, vector, model, filters, depth)
        rows += _typed(memory_type, found, "similarity")
    return Ranking("semantic", merged(rows, depth))


def _keyword(
    tx: Tx,
    types: list[str],
    user_id: str,
    query: str,
    filters: Filters,
    depth: int,
    vector: Vector | None,
) -> Ranking:
    """Full-text search over the stores; when it finds nothing anywhere and the server
    has pg_trgm, trigram similarity instead, so one store's weak trigram match never
    outranks another's real full-text hit."""
    model = get_model().embedding_model if vector is not None else None
    for method in keyword.METHODS:
        if not keyword.available(tx, method):
            continue
        rows: list[Row] = []
        for memory_type in types:
            kind = kind_of(memory_type)
            found = keyword.search(tx, kind, method, user_id, query, filters, depth, vector, model)
            rows += _typed(memory_type, found, "score")
        if rows:
            return Ranking("keyword", merged(rows, depth), {"method": method})
    return Ranking("keyword", [])


def recall_with_usage(
    user_id: str,
    query: str,
    *,
    mode: RecallMode = "hybrid",
    type: str | None = None,
    agent_id: str | None = None,
    category: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 10,
    include_inactive: bool = False,
) -> tuple[list[Row], Usage]:
    _check(query, type, limit, mode)
    vector, usage = None, Usage()
    if mode != "keyword":
        vectors, usage = embed([query], "RETRIEVAL_QUERY")
        vector = vectors[0]
    filters = Filters(
        agent_id=agent_id,
        category=category,
        since=since,
        until=until,
        include_inactive=include_inactive,
    )
    types: list[str] = [type] if type else list(MEMORY_TYPES)
    depth = limit * HYBRID_DEPTH if mode == "hybrid" else limit
    rankings: list[Ranking] = []
    with get_database().transaction() as tx:
        if vector is not None:
            rankings.append(_semantic(tx, types, user_id, vector, filters, depth))
        if mode != "semantic":
            rankings.append(_keyword(tx, types, user_id, query, filters, depth, vector))
    return fuse(rankings, limit), usage


def recall(
    user_id: str,
    query: str,
    *,
    mode: RecallMode = "hybrid",
    type: str | None = None,
    agent_id: str | None = None,
    category: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 10,
) -> list[Row]:
    """The user's ``limit`` memories best matching ``query``, best first. ``mode``:
    ``semantic`` ranks by cosine similarity of the embeddings, ``keyword`` by full-text
    search (trigram similarity when that finds nothing), ``hybrid`` fuses both (see
    ``shared/memory/fusion.py``). Each memory has ``type``, ``similarity`` (cosine, 1 =
    same direction; None when not compared), ``matchedBy``, ``scores`` (per ranking)
    and ``score`` (what the order follows). ``category`` matches the semantic category,
    the episodic interaction type and the procedure name. Archived episodic and expired
    semantic memories are left out. Only memories embedded by the current embedding
    model are compared by meaning. Raises ``Invalid`` for bad arguments and
    ``ModelFailure`` when the query cannot be embedded (never in ``keyword`` mode)."""
    return recall_with_usage(
        user_id,
        query,
        mode=mode,
        type=type,
        agent_id=agent_id,
        category=category,
        since=since,
        until=until,
        limit=limit,
    )[0]


def explain(
    user_id: str,
    query: str,
    *,
    type: str,
    limit: int = 10,
    analyze: bool = False,
    **filters: Any,
) -> str:
    """What recall would run for one store: the chosen strategy and PostgreSQL's plan
    (``analyze``: run, with what each step read and returned)."""
    _check(query, type, limit)
    vectors, _ = embed([query], "RETRIEVAL_QUERY")
    with get_database().transaction() as tx:
        plan, text = explain_search(
            tx,
            kind_of(type),
            user_id,
            vectors[0],
            get_model().embedding_model,
            Filters(**filters),
            limit,
            analyze,
        )
    return f"strategy: {plan.strategy}; matching rows: {plan.matching}\n{text}"
