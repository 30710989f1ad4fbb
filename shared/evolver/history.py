"""A user's past evolutions, read back from where the Evolver records them
(``service._record``): each is an episodic memory of interaction type ``evolution``
whose ``context`` holds the whole answer. Only the user's own rows are ever read.

A memory's ``context`` is also written by ``POST /api/memory/store`` (any
``interactionType``, any object), and rows outlive the code that wrote them, so every
field is taken for what it is: a value of another type reads as null, a log entry that
is not an object is left out. A hand-made row shows as a sparse evolution, never a 500.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from shared import keyset
from shared.db import Row, get_database
from shared.errors import NotFound
from shared.evolver.service import EVOLUTION

PREVIEW_CHARS = 200
# the long parts stay out of a page: a page row holds the short previews of the texts
_LONG = ("original", "evolved", "evolutionLog")
_PREVIEW = (
    "left(CASE jsonb_typeof(context -> '{key}') WHEN 'string' THEN context ->> '{key}' "
    "ELSE (context -> '{key}')::text END, {chars}) AS {key}_preview"
)
_PAGE_SELECT = (
    "SELECT id, agent_id, outcome, created_at, "
    "CASE jsonb_typeof(context) WHEN 'object' THEN context - '{long}'::text[] "
    "ELSE '{{}}'::jsonb END AS context, {original}, {evolved} FROM episodic_memories"
).format(
    long="{" + ",".join(_LONG) + "}",
    original=_PREVIEW.format(key="original", chars=PREVIEW_CHARS),
    evolved=_PREVIEW.format(key="evolved", chars=PREVIEW_CHARS),
)


def page(
    user_id: str, agent_id: str | None, *, limit: int, cursor: str | None = None
) -> dict[str, Any]:
    """The user's evolutions (of one agent, or of all), newest first; ``next_cursor``
    continues after the last."""
    with get_database().transaction() as tx:
        rows, next_cursor = keyset.page(
            tx,
            _PAGE_SELECT,
            {"user_id": user_id, "interaction_type": EVOLUTION, "agent_id": agent_id},
            at="created_at",
            limit=limit,
            cursor=cursor,
        )
    evolutions = [
        {
            **summary(row),
            "originalPreview": row["original_preview"],
            "evolvedPreview": row["evolved_preview"],
        }
        for row in rows
    ]
    return {"evolutions": evolutions, "next_cursor": next_cursor}


def get(user_id: str, evolution_id: str) -> dict[str, Any]:
    """One evolution of the user, whole; NotFound for another user's, an unknown or a
    malformed id."""
    try:
        wanted = str(uuid.UUID(evolution_id))
    except ValueError:
        raise NotFound("evolution not found") from None
    with get_database().transaction() as tx:
        row = tx.one(
            # the type written out, so the partial index of migration 0143 applies
            "SELECT id, agent_id, outcome, created_at, context FROM episodic_memories "
            f"WHERE user_id = %s AND interaction_type = '{EVOLUTION}' "
            "AND context ->> 'evolutionId' = %s ORDER BY created_at DESC, id DESC LIMIT 1",
            (user_id, wanted),
        )
    if row is None:
        raise NotFound("evolution not found")
    context = _object(row["context"])
    settings = _object(context.get("settings"))
    return {
        **summary(row),
        "original": context.get("original"),
        "evolved": context.get("evolved"),
        "evolutionLog": [e for e in _list(context.get("evolutionLog")) if isinstance(e, dict)],
        "settings": {
            "maxIterations": _int(settings.get("maxIterations")),
            "threshold": _number(settings.get("threshold")),
            "tokenBudget": _int(settings.get("tokenBudget")),
        },
        "variant": context.get("variant") if isinstance(context.get("variant"), dict) else None,
    }


def summary(row: Row) -> dict[str, Any]:
    """What a page shows of an evolution: its outcome, scores and cost."""
    context = _object(row["context"])
    usage = _object(context.get("usage"))
    return {
        "evolutionId": _uuid(context.get("evolutionId")),
        "agentId": row["agent_id"],
        "createdAt": row["created_at"],
        "source": _text(context.get("source")),
        "outcome": row["outcome"],
        "iterations": _int(context.get("iterations")),
        "initialScore": _number(context.get("initialScore")),
        "finalScore": _number(context.get("finalScore")),
        "stopReason": _text(context.get("stopReason")),
        "usage": {
            "calls": _int(usage.get("calls")),
            "modelCalls": _int(context.get("modelCalls")),
            "tokens": _int(usage.get("tokens")),
            "inputTokens": _int(context.get("inputTokens")),
            "outputTokens": _int(context.get("outputTokens")),
        },
    }


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _uuid(value: Any) -> str | None:
    try:
        return str(uuid.UUID(value)) if isinstance(value, str) else None
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None
