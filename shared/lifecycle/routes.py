"""The calling user's own data: ``GET /api/me/export`` and ``DELETE /api/me``."""

from __future__ import annotations

from typing import Any

from flask import Response

from shared.lifecycle import erasure, export
from shared.web.router import Ctx, Router

router = Router()
TAG = "me"

EXPORT_LINE = {
    "type": "object",
    "description": "One line of the JSON Lines stream: one stored row and its table",
    "properties": {"kind": {"type": "string"}, "row": {"type": "object"}},
    "required": ["kind", "row"],
}
COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}
ERASURE = {
    "type": "object",
    "properties": {
        "erased": {"type": "boolean"},
        "nothingToDo": {"type": "boolean"},
        "runsCancelled": {"type": "integer"},
        "anonymised": COUNTS,
        "deleted": COUNTS,
        "schedulerJobsDeleted": {"type": "integer"},
    },
    "required": ["erased", "nothingToDo"],
}


@router.route(
    "GET",
    "/api/me/export",
    summary="Everything stored for the calling user, streamed as JSON Lines",
    response=EXPORT_LINE,
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
    response=ERASURE,
    tag=TAG,
)
def erase_me(ctx: Ctx) -> dict[str, Any]:
    return erasure.erase(ctx.user_id).as_json()
