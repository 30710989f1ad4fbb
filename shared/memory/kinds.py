"""The three memory stores as data: which table, which columns a reader sees, which a
write may set, and how a store scopes duplicates. Pure: no database or model here."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, cast
from uuid import UUID

MemoryType = Literal["episodic", "semantic", "procedural"]
MEMORY_TYPES: tuple[MemoryType, ...] = ("episodic", "semantic", "procedural")


@dataclass(frozen=True)
class Kind:
    type: MemoryType
    table: str
    columns: tuple[str, ...]  # what a reader sees; never the embedding
    writable: tuple[str, ...]  # what a write may set besides the content
    casts: dict[str, str]  # SQL casts of writable columns that need one
    agent_scoped: bool  # duplicates are only looked for within the same agent
    category_column: str  # what the recall filter ``category`` matches
    live: str  # rows recall and dedupe see unless asked for everything
    # The part of ``live`` that does not move with the clock: the predicate of the
    # store's counting index (migration 0145); empty when every row is live.
    lasting: str

    @property
    def select(self) -> str:
        return ", ".join(self.columns)


def _columns(names: str) -> tuple[str, ...]:
    return tuple(names.split())


EPISODIC = Kind(
    type="episodic",
    table="episodic_memories",
    columns=_columns(
        "id user_id agent_id interaction_type content input_summary output_summary "
        "outcome context importance seen_count embedding_model archived_at "
        "consolidated_at created_at updated_at"
    ),
    writable=_columns(
        "agent_id interaction_type input_summary output_summary outcome context importance"
    ),
    casts={"context": "::jsonb"},
    agent_scoped=True,
    category_column="interaction_type",
    live="archived_at IS NULL",
    lasting="archived_at IS NULL",
)

SEMANTIC = Kind(
    type="semantic",
    table="semantic_memories",
    columns=_columns(
        "id user_id agent_id content category confidence source metadata "
        "source_memory_ids valid_from valid_until seen_count embedding_model created_at "
        "updated_at"
    ),
    writable=_columns("agent_id category confidence source metadata source_memory_ids valid_until"),
    casts={"metadata": "::jsonb", "source_memory_ids": "::uuid[]"},
    agent_scoped=False,
    category_column="category",
    live="(valid_until IS NULL OR valid_until > now())",
    lasting="valid_until IS NULL",
)

PROCEDURAL = Kind(
    type="procedural",
    table="procedural_memories",
    columns=_columns(
        "id user_id agent_id name content metadata usage_count success_count seen_count "
        "embedding_model created_at updated_at"
    ),
    writable=_columns("agent_id name metadata"),
    casts={"metadata": "::jsonb"},
    agent_scoped=True,
    category_column="name",
    live="TRUE",
    lasting="",
)

KINDS: dict[str, Kind] = {k.type: k for k in (EPISODIC, SEMANTIC, PROCEDURAL)}


def kind_of(memory_type: str) -> Kind:
    return KINDS[memory_type]


def memory_type(value: str) -> MemoryType:
    if value not in KINDS:
        raise ValueError(f"unknown memory type {value!r}")
    return cast(MemoryType, value)


def normalise(text: str) -> str:
    """The form two writes are compared in: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def content_hash(text: str) -> str:
    return hashlib.sha256(normalise(text).encode()).hexdigest()


def jsonable(value: Any) -> Any:
    """A row as plain JSON values (ids and times as strings), for agent outputs that
    end up in jsonb columns and templates."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
