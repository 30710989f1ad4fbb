"""Recall: a user's memories nearest a query, across stores, with filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.db import Row, get_database
from shared.errors import Invalid
from shared.memory.kinds import KINDS, MEMORY_TYPES, kind_of
from shared.memory.search import Filters, nearest
from shared.memory.search import explain as explain_search
from shared.memory.store import embed
from shared.model import get_model
from shared.model.port import Usage

MAX_LIMIT = 50
MAX_QUERY_CHARS = 2000


def _check(query: str, type: str | None, limit: int) -> None:
    if not isinstance(query, str) or not query.strip():
        raise Invalid("query: must not be empty")
    if len(query) > MAX_QUERY_CHARS:
        raise Invalid(f"query: at most {MAX_QUERY_CHARS} characters")
    if type is not None and type not in KINDS:
        raise Invalid(f"type: must be one of {', '.join(MEMORY_TYPES)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit: must be between 1 and {MAX_LIMIT}")


def recall_with_usage(
    user_id: str,
    query: str,
    *,
    type: str | None = None,
    agent_id: str | None = None,
    category: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 10,
    include_inactive: bool = False,
) -> tuple[list[Row], Usage]:
    _check(query, type, limit)
    vectors, usage = embed([query], "RETRIEVAL_QUERY")
    model = get_model().embedding_model
    filters = Filters(
        agent_id=agent_id,
        category=category,
        since=since,
        until=until,
        include_inactive=include_inactive,
    )
    found: list[Row] = []
    with get_database().transaction() as tx:
        for memory_type in [type] if type else MEMORY_TYPES:
            for row in nearest(
                tx, kind_of(memory_type), user_id, vectors[0], model, filters, limit
            ):
                found.append({"type": memory_type, **row, "similarity": float(row["similarity"])})
    found.sort(key=lambda r: (-r["similarity"], str(r["id"])))
    return found[:limit], usage


def recall(
    user_id: str,
    query: str,
    *,
    type: str | None = None,
    agent_id: str | None = None,
    category: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 10,
) -> list[Row]:
    """The user's ``limit`` memories most similar to ``query``, best first, each with
    ``type`` and ``similarity`` (cosine, 1 = same direction). ``category`` matches the
    semantic category, the episodic interaction type and the procedure name. Archived
    episodic and expired semantic memories are left out. Only memories embedded by the
    current embedding model are compared. Raises ``Invalid`` for bad arguments and
    ``ModelFailure`` when the query cannot be embedded."""
    return recall_with_usage(
        user_id,
        query,
        type=type,
        agent_id=agent_id,
        category=category,
        since=since,
        until=until,
        limit=limit,
    )[0]


def explain(user_id: str, query: str, *, type: str, limit: int = 10, **filters: Any) -> str:
    """What recall would run for one store: the chosen strategy and PostgreSQL's plan."""
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
        )
    strategy = "exact scan" if plan.exact else f"hnsw (ef_search={plan.ef_search})"
    if plan.iterative:
        strategy += ", iterative scan"
    return f"strategy: {strategy}; matching rows: {plan.matching}\n{text}"
