"""HTTP routes of memory and the Digital Soul (design.md §4)."""

from __future__ import annotations

from typing import Any

from shared.memory.consolidate import consolidate
from shared.memory.schemas import IngestSoul, RecallMemories, StoreMemory
from shared.memory.service import recall_memories, store_memory
from shared.memory.soul import current_soul, ingest
from shared.web.router import Ctx, Router

router = Router()

_NULLABLE_STRING = {"type": ["string", "null"]}
MEMORY: dict[str, Any] = {
    "type": "object",
    "description": "A stored memory: the row's columns (never the embedding), and its store.",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "type": {"type": "string", "enum": ["episodic", "semantic", "procedural"]},
        "user_id": {"type": "string"},
        "agent_id": _NULLABLE_STRING,
        "content": {"type": "string"},
        "embedding_model": {"type": "string"},
        "seen_count": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
    "required": ["id", "type", "content"],
}
STORED = {
    "type": "object",
    "properties": {
        "success": {"type": "boolean"},
        "memory": MEMORY,
        "action": {
            "type": "string",
            "enum": ["created", "refreshed", "updated"],
            "description": "created; refreshed (an identical memory existed); updated (a "
            "near duplicate was updated, its previous state kept in history)",
        },
    },
    "required": ["success", "memory", "action"],
}
_RANKING = {
    "type": "object",
    "properties": {
        "rank": {"type": "integer", "description": "1 = this ranking's best"},
        "score": {
            "type": "number",
            "description": "semantic: cosine similarity; keyword: ts_rank, or the "
            "trigram word similarity when method is trigram",
        },
        "method": {"type": "string", "enum": ["fulltext", "trigram"]},
    },
    "required": ["rank", "score"],
}
RECALLED = {
    "type": "object",
    "properties": {
        "memories": {
            "type": "array",
            "items": {
                **MEMORY,
                "properties": {
                    **MEMORY["properties"],
                    "similarity": {
                        "type": ["number", "null"],
                        "description": "cosine similarity to the query; null in keyword "
                        "mode and for a memory of another embedding model",
                    },
                    "matchedBy": {
                        "type": "array",
                        "items": {"type": "string", "enum": ["semantic", "keyword"]},
                    },
                    "scores": {
                        "type": "object",
                        "properties": {"semantic": _RANKING, "keyword": _RANKING},
                    },
                    "score": {
                        "type": "number",
                        "description": "what the order follows: the reciprocal rank "
                        "fusion in hybrid mode, else the one ranking's score",
                    },
                },
                "required": [*MEMORY["required"], "matchedBy", "scores", "score"],
            },
        }
    },
    "required": ["memories"],
}
CONSOLIDATED = {
    "type": "object",
    "properties": {
        "examined": {"type": "integer"},
        "groups": {"type": "integer"},
        "summarised": {"type": "array", "items": {"type": "object"}},
        "merged": {"type": "integer", "description": "episodic memories folded into summaries"},
        "archived": {"type": "integer", "description": "old low-importance memories archived"},
        "degraded": {"type": "boolean"},
        "errors": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["summarised", "merged", "archived", "degraded"],
}
SOUL = {
    "type": ["object", "null"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "version": {"type": "integer"},
        "semantic_fingerprint": {"type": "object"},
        "exemplars": {"type": "array", "items": {"type": "string"}},
        "created_at": {"type": "string", "format": "date-time"},
    },
}


@router.route(
    "POST",
    "/api/memory/store",
    summary="Store a memory (embedded; identical and near-duplicate writes are merged)",
    body=StoreMemory,
    response=STORED,
    status=201,
    tag="memory",
)
def store_route(ctx: Ctx) -> dict[str, Any]:
    stored, _ = store_memory(ctx.user_id, ctx.body, source="api")
    memory = {"type": ctx.body.type, **stored.memory}
    return {"success": True, "memory": memory, "action": stored.action}


@router.route(
    "POST",
    "/api/memory/recall",
    summary="The user's memories best matching a query: by meaning, keyword or both "
    "(mode, default hybrid), each saying which ranking found it",
    body=RecallMemories,
    response=RECALLED,
    tag="memory",
)
def recall_route(ctx: Ctx) -> dict[str, Any]:
    memories, _ = recall_memories(ctx.user_id, ctx.body)
    return {"memories": memories}


@router.route(
    "POST",
    "/api/memory/consolidate",
    summary="Summarise similar recent episodic memories into facts; archive old ones",
    response=CONSOLIDATED,
    tag="memory",
    rate_limit="model",
)
def consolidate_route(ctx: Ctx) -> dict[str, Any]:
    return consolidate(ctx.user_id)


@router.route(
    "POST",
    "/api/soul/ingest",
    summary="Write a new version of the Digital Soul (merged over the current one)",
    body=IngestSoul,
    response={
        "type": "object",
        "properties": {"success": {"type": "boolean"}, "soul": SOUL},
        "required": ["success", "soul"],
    },
    tag="soul",
)
def ingest_soul(ctx: Ctx) -> dict[str, Any]:
    soul, _changed = ingest(ctx.user_id, ctx.body.fingerprint(), ctx.body.exemplars)
    return {"success": True, "soul": soul}


@router.route(
    "GET",
    "/api/soul/retrieve",
    summary="The user's current Digital Soul (null when none)",
    response={"type": "object", "properties": {"soul": SOUL}, "required": ["soul"]},
    tag="soul",
)
def retrieve_soul(ctx: Ctx) -> dict[str, Any]:
    return {"soul": current_soul(ctx.user_id)}
