"""Writing memories so that nothing is duplicated and nothing is lost.

Texts are embedded first, in batches, outside any lock. Then, per memory and under a
per-user, per-store advisory lock (two concurrent identical writes cannot both insert):

- an identical write (same user, store and normalised content hash; same agent for
  the agent-scoped stores) refreshes the existing row: ``updated_at``, ``seen_count``
  and, if the embedding model changed, the embedding;
- a near duplicate (cosine similarity at least ``MEMORY_DEDUPE_THRESHOLD`` to the
  user's nearest live memory of that store and model) updates that memory, after its
  previous state is copied to ``memory_history``;
- anything else is inserted.

Created and updated memories emit ``memory.stored`` in the same transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from shared.config import get_settings
from shared.db import Row, Tx, get_database
from shared.db.vector import to_vector
from shared.events import outbox
from shared.memory.kinds import Kind, MemoryType, content_hash, kind_of
from shared.memory.search import Filters, nearest
from shared.model import get_model
from shared.model.port import Model, TaskType, Usage

if TYPE_CHECKING:
    from pgvector import Vector

EMBED_BATCH = 100  # the Gemini API's limit per batchEmbedContents call

Action = Literal["created", "refreshed", "updated"]


@dataclass
class MemoryWrite:
    type: MemoryType
    content: str
    fields: dict[str, Any] = field(default_factory=dict)  # writable columns of the store
    # An event-like record (an evolution, say) is kept as its own row even when its
    # text repeats an earlier one: counting them is the point.
    dedupe: bool = True


@dataclass
class Stored:
    memory: Row
    action: Action
    similarity: float | None = None  # to the memory a near duplicate updated


def embed(
    texts: list[str], task_type: TaskType, *, model: Model | None = None
) -> tuple[list[Vector], Usage]:
    """Embed in batches of at most ``EMBED_BATCH``; raises ``ModelFailure``."""
    usage = Usage()
    vectors: list[Vector] = []
    model = model or get_model()
    for start in range(0, len(texts), EMBED_BATCH):
        result = model.embed(texts[start : start + EMBED_BATCH], task_type=task_type)
        usage.add(result.usage)
        vectors.extend(to_vector(v) for v in result.value)
    return vectors, usage


def lock(tx: Tx, key: str) -> None:
    tx.scalar("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))


def store(
    user_id: str, writes: list[MemoryWrite], *, tx: Tx | None = None, depth: int = 0
) -> tuple[list[Stored], Usage]:
    """Store ``writes`` for ``user_id``: one embedding batch, then one transaction
    (``tx`` when given). Raises ``ModelFailure`` when the texts cannot be embedded."""
    for w in writes:
        if not w.content.strip():
            raise ValueError("a memory needs content")
    vectors, usage = embed([w.content for w in writes], "RETRIEVAL_DOCUMENT")
    if tx is not None:
        return write_embedded(tx, user_id, writes, vectors, depth=depth), usage
    with get_database().transaction() as own:
        stored = write_embedded(own, user_id, writes, vectors, depth=depth)
    return stored, usage


def write_embedded(
    tx: Tx,
    user_id: str,
    writes: list[MemoryWrite],
    vectors: list[Vector],
    *,
    depth: int = 0,
    embedding_model: str | None = None,
) -> list[Stored]:
    """Write memories whose texts ``embed`` already embedded (by ``embedding_model``,
    the current model's when not given)."""
    model = embedding_model or get_model().embedding_model
    return [_write(tx, user_id, w, v, model, depth) for w, v in zip(writes, vectors, strict=True)]


def store_one(user_id: str, write: MemoryWrite, *, tx: Tx | None = None, depth: int = 0) -> Stored:
    return store(user_id, [write], tx=tx, depth=depth)[0][0]


def _write(tx: Tx, user_id: str, w: MemoryWrite, vector: Vector, model: str, depth: int) -> Stored:
    kind = kind_of(w.type)
    digest = content_hash(w.content)
    stored = (
        _deduplicated(tx, kind, user_id, w, digest, vector, model)
        if w.dedupe
        else Stored(_insert(tx, kind, user_id, w, digest, vector, model), "created")
    )
    if stored.action == "refreshed":
        return stored
    outbox.record(
        tx,
        user_id,
        "memory.stored",
        {
            "memoryId": str(stored.memory["id"]),
            "type": kind.type,
            "action": stored.action,
            "agentId": stored.memory.get("agent_id"),
        },
        depth=depth,
    )
    return stored


def _deduplicated(
    tx: Tx, kind: Kind, user_id: str, w: MemoryWrite, digest: str, vector: Vector, model: str
) -> Stored:
    """An exact repeat refreshes its memory, a near duplicate updates it (the previous
    text kept in memory_history), anything else is a new memory."""
    lock(tx, f"memory:{kind.type}:{user_id}")
    scope, scope_params = _agent_scope(kind, w)
    same = tx.one(
        f"SELECT id FROM {kind.table} WHERE user_id = %s AND content_hash = %s{scope} "
        "ORDER BY created_at, id LIMIT 1",
        [user_id, digest, *scope_params],
    )
    if same is not None:
        return Stored(_refresh(tx, kind, user_id, same["id"], w, vector, model), "refreshed")
    filters = (
        Filters(agent_id=w.fields.get("agent_id"), agent_exact=True)
        if kind.agent_scoped
        else Filters()
    )
    near = nearest(tx, kind, user_id, vector, model, filters, limit=1)
    threshold = get_settings().memory_dedupe_threshold
    if near and float(near[0]["similarity"]) >= threshold:
        row = _update(tx, kind, user_id, near[0]["id"], w, digest, vector, model)
        return Stored(row, "updated", float(near[0]["similarity"]))
    return Stored(_insert(tx, kind, user_id, w, digest, vector, model), "created")


def _agent_scope(kind: Kind, w: MemoryWrite) -> tuple[str, list[Any]]:
    if not kind.agent_scoped:
        return "", []
    return " AND agent_id IS NOT DISTINCT FROM %s", [w.fields.get("agent_id")]


def _value(kind: Kind, column: str, value: Any) -> Any:
    if kind.casts.get(column) == "::jsonb":
        return json.dumps(value if value is not None else {}, default=str)
    if column == "source_memory_ids":
        return [str(v) for v in value or []]
    return value


def _refresh(
    tx: Tx, kind: Kind, user_id: str, memory_id: Any, w: MemoryWrite, vector: Vector, model: str
) -> Row:
    """An identical write: the memory happened again. Nothing about it changes except
    that it is seen again (and re-embedded if the model changed); an archived episodic
    memory that recurs is live again; a summary from new sources gains them."""
    sets = [
        "updated_at = now()",
        "seen_count = seen_count + 1",
        "embedding = CASE WHEN embedding_model IS DISTINCT FROM %s THEN %s::vector ELSE embedding END",
        "embedding_model = %s",
    ]
    params: list[Any] = [model, vector, model]
    if kind.type == "episodic":
        sets.append("archived_at = NULL")
        sets.append("importance = greatest(importance, %s)")
        params.append(float(w.fields.get("importance", 0.0)))
    if kind.type == "semantic" and w.fields.get("source_memory_ids"):
        sets.append(_union_sources())
        params.append(_value(kind, "source_memory_ids", w.fields["source_memory_ids"]))
    row = tx.one(
        f"UPDATE {kind.table} SET {', '.join(sets)} WHERE id = %s AND user_id = %s "
        f"RETURNING {kind.select}",
        [*params, memory_id, user_id],
    )
    assert row is not None
    return row


def _union_sources() -> str:
    return (
        "source_memory_ids = ARRAY(SELECT DISTINCT s FROM "
        "unnest(source_memory_ids || %s::uuid[]) AS s ORDER BY s)"
    )


def _update(
    tx: Tx,
    kind: Kind,
    user_id: str,
    memory_id: Any,
    w: MemoryWrite,
    digest: str,
    vector: Vector,
    model: str,
) -> Row:
    """A near duplicate: the newer wording wins, the previous state goes to history.
    JSON columns are merged key by key; sources of a summary are united."""
    tx.execute(
        "INSERT INTO memory_history (user_id, memory_type, memory_id, previous, reason) "
        f"SELECT user_id, %s, id, to_jsonb(m) - 'embedding', 'near_duplicate' "
        f"FROM {kind.table} m WHERE id = %s AND user_id = %s",
        (kind.type, memory_id, user_id),
    )
    sets = [
        "content = %s",
        "content_hash = %s",
        "embedding = %s::vector",
        "embedding_model = %s",
        "seen_count = seen_count + 1",
        "updated_at = now()",
    ]
    params: list[Any] = [w.content, digest, vector, model]
    for column in kind.writable:
        if column not in w.fields or column == "agent_id":
            continue
        if column == "source_memory_ids":
            sets.append(_union_sources())
        elif kind.casts.get(column) == "::jsonb":
            sets.append(f"{column} = {column} || %s::jsonb")
        else:
            sets.append(f"{column} = %s{kind.casts.get(column, '')}")
        params.append(_value(kind, column, w.fields[column]))
    row = tx.one(
        f"UPDATE {kind.table} SET {', '.join(sets)} WHERE id = %s AND user_id = %s "
        f"RETURNING {kind.select}",
        [*params, memory_id, user_id],
    )
    assert row is not None
    return row


def _insert(
    tx: Tx, kind: Kind, user_id: str, w: MemoryWrite, digest: str, vector: Vector, model: str
) -> Row:
    columns = ["user_id", "content", "content_hash", "embedding", "embedding_model"]
    marks = ["%s", "%s", "%s", "%s::vector", "%s"]
    params: list[Any] = [user_id, w.content, digest, vector, model]
    for column in kind.writable:
        if column in w.fields and w.fields[column] is not None:
            columns.append(column)
            marks.append("%s" + kind.casts.get(column, ""))
            params.append(_value(kind, column, w.fields[column]))
    row = tx.one(
        f"INSERT INTO {kind.table} ({', '.join(columns)}) VALUES ({', '.join(marks)}) "
        f"RETURNING {kind.select}",
        params,
    )
    assert row is not None
    return row
