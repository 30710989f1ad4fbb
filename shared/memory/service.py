"""What the routes and the mnemosyne agent do with a validated body."""

from __future__ import annotations

from typing import Any

from shared.db import Row
from shared.errors import Invalid
from shared.memory.recall import recall_with_usage
from shared.memory.schemas import RecallMemories, StoreMemory
from shared.memory.store import MemoryWrite, Stored, store
from shared.model.port import Usage


def write_for(body: StoreMemory, *, source: str) -> MemoryWrite:
    """The store write a body describes. ``metadata`` is the episodic ``context``."""
    fields: dict[str, Any] = {"agent_id": body.agent_id}
    if body.type == "episodic":
        fields |= {
            "interaction_type": body.interaction_type or body.category,
            "outcome": body.outcome,
            "context": body.metadata or {},
            "importance": 0.5 if body.importance is None else body.importance,
        }
    elif body.type == "semantic":
        fields |= {
            "category": body.category,
            "metadata": body.metadata or {},
            "confidence": 1.0 if body.confidence is None else body.confidence,
            "source": source,
        }
    else:
        if not body.agent_id:
            raise Invalid("invalid request body: agentId: required for procedural memories")
        fields |= {"name": body.name or body.category, "metadata": body.metadata or {}}
    return MemoryWrite(type=body.type, content=body.content.strip(), fields=fields)


def store_memory(user_id: str, body: StoreMemory, *, source: str) -> tuple[Stored, Usage]:
    stored, usage = store(user_id, [write_for(body, source=source)])
    return stored[0], usage


def recall_memories(user_id: str, body: RecallMemories) -> tuple[list[Row], Usage]:
    if body.since and body.until and body.since >= body.until:
        raise Invalid("invalid request body: until: must be after since")
    return recall_with_usage(
        user_id,
        body.query,
        mode=body.mode,
        type=body.type,
        agent_id=body.agent_id,
        category=body.category,
        since=body.since,
        until=body.until,
        limit=body.limit,
    )
