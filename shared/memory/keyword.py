"""Keyword ranking of one store: PostgreSQL full-text search over ``content_tsv``
(migration 0091), and trigram word similarity (``pg_trgm``) for a query full-text
search finds nothing for, such as a misspelled name or a fragment of a product code.

``websearch_to_tsquery`` reads the query as a search box does: every word must appear,
``"quoted words"`` form a phrase, ``or`` separates alternatives, ``-word`` excludes;
``ts_rank`` orders the matches. The trigram form keeps the rows whose content holds an
extent like the query (``content %> query``: ``word_similarity`` above
``pg_trgm.word_similarity_threshold``, 0.6 unless the server says otherwise), which the
trigram GIN index serves. Rows of any embedding model are found: no vector is compared
(``similarity`` is filled in only when the caller passes the query's vector)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from shared.db import Row, Tx
from shared.memory.kinds import Kind
from shared.memory.search import Filters, where

if TYPE_CHECKING:
    from pgvector import Vector

TS_CONFIG = "english"  # the configuration of migration 0091's generated column
Method = Literal["fulltext", "trigram"]
METHODS: tuple[Method, ...] = ("fulltext", "trigram")  # the order recall tries them in

# Per method: the score a row is ordered by, and the condition a row must meet; each
# takes the query as its one parameter.
_SQL: dict[Method, tuple[str, str]] = {
    "fulltext": (
        f"ts_rank(content_tsv, websearch_to_tsquery('{TS_CONFIG}', %s))",
        f"content_tsv @@ websearch_to_tsquery('{TS_CONFIG}', %s)",
    ),
    "trigram": ("word_similarity(%s, content)", "content %%> %s"),
}


def available(tx: Tx, method: Method) -> bool:
    return method == "fulltext" or tx.features.pg_trgm


def _similarity(vector: Vector | None, model: str | None) -> tuple[str, list[Any]]:
    if vector is None:
        return "NULL::float8 AS similarity", []
    return (
        "CASE WHEN embedding_model = %s THEN 1 - (embedding <=> %s::vector) END AS similarity",
        [model, vector],
    )


def search(
    tx: Tx,
    kind: Kind,
    method: Method,
    user_id: str,
    query: str,
    filters: Filters,
    limit: int,
    vector: Vector | None = None,
    model: str | None = None,
) -> list[Row]:
    """The user's ``limit`` rows matching ``query`` by ``method``, best ``score`` first;
    ``similarity`` to ``vector`` when one is given. ``trigram`` only where
    ``available``."""
    score, match = _SQL[method]
    clause, params = where(kind, user_id, None, filters)
    similarity, similarity_params = _similarity(vector, model)
    return tx.all(
        f"SELECT {kind.select}, {similarity}, {score} AS score FROM {kind.table} "
        f"WHERE {clause} AND {match} ORDER BY score DESC, id LIMIT %s",
        [*similarity_params, query, *params, query, limit],
    )
