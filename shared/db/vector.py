"""pgvector values on a pg8000 DB-API connection.

``pgvector.pg8000.register_vector`` supports only ``pg8000.native`` connections, and the
Cloud SQL connector hands out DB-API ones, so the adapters are registered here by hand:
``Vector`` goes out as text, and columns of type ``vector`` come back as tuples of floats.

The text is written with 9 significant digits (what a float4 needs to come back the
same) by one ``%`` format over the whole vector: pgvector's ``Vector.to_text`` formats
element by element, about 2 ms for 768 dimensions here, and a hybrid recall sends its
query's vector to every store, twice to an index scan. The text is kept on the value,
so each vector is formatted once.

``pgvector`` is imported on first use, never at module import: its package imports
numpy (about 0.2 s), which every function would otherwise pay at cold start."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pgvector import Vector


def _parse(text: str) -> tuple[float, ...]:
    return tuple(float(x) for x in text[1:-1].split(",")) if len(text) > 2 else ()


def to_text(vector: Vector) -> str:
    """pgvector's text form of ``vector``, exact for its float4 values."""
    text: str | None = getattr(vector, "_segp_text", None)
    if text is None:
        values = vector.to_numpy().tolist()
        text = "[" + ",".join(["%.9g"] * len(values)) % tuple(values) + "]"
        vector._segp_text = text
    return text


def register(conn: Any) -> None:
    """Adapt ``Vector`` out and ``vector`` in, when the extension is installed."""
    from pgvector import Vector

    conn.register_out_adapter(Vector, to_text)
    cur = conn.cursor()
    try:
        cur.execute("SELECT oid FROM pg_type WHERE oid = to_regtype('vector')")
        row = cur.fetchone()
    finally:
        cur.close()
    conn.commit()
    if row and row[0]:
        conn.register_in_adapter(row[0], _parse)


def to_vector(values: Any) -> Vector:
    from pgvector import Vector

    return values if isinstance(values, Vector) else Vector(list(values))
