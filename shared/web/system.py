"""Routes every deployment has: health and the OpenAPI document."""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from pydantic import Field

from shared.config import get_settings
from shared.db import get_database
from shared.web.router import Ctx, Router
from shared.web.shapes import OpenResponse, ResponseModel

router = Router()


class Health(ResponseModel):
    status: Literal["ok"]
    database: Literal["ok"]
    model: Literal["offline", "gemini"] = Field(description="which model answers")


class OpenApiDocument(OpenResponse):
    """An OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.0)."""

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]


@router.route(
    "GET",
    "/api/health",
    summary="Liveness and database check",
    auth=False,
    response=Health,
    tag="system",
)
def health(ctx: Ctx) -> dict[str, Any]:
    with get_database().transaction() as tx:
        tx.scalar("SELECT 1")
    return {"status": "ok", "database": "ok", "model": get_settings().model_mode}


@router.route(
    "GET",
    "/api/openapi.json",
    summary="This API's OpenAPI 3.1 document",
    response=OpenApiDocument,
    auth=False,
    tag="system",
)
def openapi(ctx: Ctx) -> dict[str, Any]:
    return _document()


@cache
def _document() -> dict[str, Any]:
    """Built once per instance: the route table does not change while it runs."""
    from shared.web.app import api_app
    from shared.web.openapi import document

    return document(api_app().routes)
