"""Routes every deployment has: health and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from shared.config import get_settings
from shared.db import get_database
from shared.web.router import Ctx, Router

router = Router()

HEALTH = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["ok"]},
        "database": {"type": "string"},
        "model": {"type": "string"},
    },
    "required": ["status"],
}


@router.route(
    "GET",
    "/api/health",
    summary="Liveness and database check",
    auth=False,
    response=HEALTH,
    tag="system",
)
def health(ctx: Ctx) -> dict[str, Any]:
    with get_database().transaction() as tx:
        tx.scalar("SELECT 1")
    return {"status": "ok", "database": "ok", "model": get_settings().model_mode}


@router.route(
    "GET", "/api/openapi.json", summary="This API's OpenAPI 3 document", auth=False, tag="system"
)
def openapi(ctx: Ctx) -> dict[str, Any]:
    from shared.web.app import api_app
    from shared.web.openapi import document

    return document(api_app().routes)
