"""HTTP routes of memory and the Digital Soul (docs/concepts/memory.md)."""

from __future__ import annotations

from typing import Any

from shared.memory.consolidate import consolidate
from shared.memory.schemas import (
    Consolidation,
    CurrentSoul,
    IngestSoul,
    RecallAnswer,
    RecallMemories,
    SoulIngested,
    Stored,
    StoreMemory,
)
from shared.memory.service import recall_memories, store_memory
from shared.memory.soul import current_soul, ingest
from shared.web.router import Ctx, Link, Router

router = Router()


@router.route(
    "POST",
    "/api/memory/store",
    summary="Store a memory (embedded; identical and near-duplicate writes are merged)",
    body=StoreMemory,
    response=Stored,
    status=201,
    tag="memory",
    # what was stored is found again by its own words
    links=(Link("recall_route", body={"query": "$response.body#/memory/content"}),),
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
    response=RecallAnswer,
    tag="memory",
)
def recall_route(ctx: Ctx) -> dict[str, Any]:
    memories, _ = recall_memories(ctx.user_id, ctx.body)
    return {"memories": memories}


@router.route(
    "POST",
    "/api/memory/consolidate",
    summary="Summarise similar recent episodic memories into facts; archive old ones",
    response=Consolidation,
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
    response=SoulIngested,
    tag="soul",
)
def ingest_soul(ctx: Ctx) -> dict[str, Any]:
    soul, _changed = ingest(ctx.user_id, ctx.body.fingerprint(), ctx.body.exemplars)
    return {"success": True, "soul": soul}


@router.route(
    "GET",
    "/api/soul/retrieve",
    summary="The user's current Digital Soul (null when none)",
    response=CurrentSoul,
    tag="soul",
)
def retrieve_soul(ctx: Ctx) -> dict[str, Any]:
    return {"soul": current_soul(ctx.user_id)}
