"""The calling user's own data: ``GET /api/me/export`` and ``DELETE /api/me``."""

from __future__ import annotations

from typing import Any

from flask import Response
from pydantic import Field

from shared.lifecycle import erasure, export
from shared.web.router import Ctx, Router
from shared.web.shapes import ResponseModel

router = Router()
TAG = "me"


class ExportLine(ResponseModel):
    """One line of the JSON Lines stream: one stored row and its table (the stream is
    written line by line as it is read, not through the frame)."""

    kind: str = Field(description="the table the row is from")
    row: dict[str, Any] = Field(description="the row's columns, as stored")


class Erased(ResponseModel):
    erased: bool
    nothingToDo: bool = Field(description="nothing was stored for the user")
    runsCancelled: int
    anonymised: dict[str, int] = Field(description="rows kept under a tombstone id, per table")
    deleted: dict[str, int] = Field(description="rows deleted, per table")
    schedulerJobsDeleted: int


@router.route(
    "GET",
    "/api/me/export",
    summary="Everything stored for the calling user, streamed as JSON Lines",
    response=ExportLine,
    media_type=export.MEDIA_TYPE,
    tag=TAG,
)
def export_me(ctx: Ctx) -> Response:
    return Response(
        export.lines(ctx.user_id),
        mimetype=export.MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="segp-export.jsonl"'},
    )


@router.route(
    "DELETE",
    "/api/me",
    summary="Erase the calling user: every row, scheduler job and pending event",
    response=Erased,
    tag=TAG,
)
def erase_me(ctx: Ctx) -> dict[str, Any]:
    return erasure.erase(ctx.user_id).as_json()
