"""Learned improvements of an agent: stored without near-duplicates, decided by the
user (accept, reject) or activated at once when the analysis is confident enough, and
handed to the Evolver as the active list.

A proposal is a duplicate when its embedding is closer than
``IMPROVE_DEDUPE_THRESHOLD`` (cosine similarity) to any improvement of the same user
and agent, whatever its status (a rejected idea is not proposed again), or to an
earlier proposal of the same batch. Only rows embedded by the same model are compared."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from shared.config import get_settings
from shared.db import Row, Tx, get_database
from shared.db.vector import to_vector
from shared.errors import NotFound
from shared.ids import object_id

COLUMNS = (
    "id, user_id, agent_id, improvement, evidence, confidence, status, embedding_model, "
    "created_at, decided_at"
)
_ORDER = "ORDER BY decided_at NULLS LAST, created_at, id"


@dataclass
class Proposal:
    improvement: str
    confidence: float
    evidence: list[dict[str, Any]]
    embedding: list[float] = field(default_factory=list)


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))  # both are L2-normalised


def _nearest(tx: Tx, user_id: str, agent_id: str, model: str, embedding: list[float]) -> Row | None:
    # Ordered by the similarity expression, not by the distance operator: an exact scan
    # over this user's and agent's rows, never a filtered approximate index search.
    return tx.one(
        "SELECT id, improvement, 1 - (embedding <=> %s::vector) AS similarity "
        "FROM agent_improvements WHERE user_id = %s AND agent_id = %s "
        "AND embedding_model = %s AND embedding IS NOT NULL ORDER BY similarity DESC LIMIT 1",
        (to_vector(embedding), user_id, agent_id, model),
    )


def store_proposals(
    user_id: str, agent_id: str, proposals: list[Proposal], embedding_model: str
) -> tuple[list[Row], list[dict[str, Any]]]:
    """Insert the proposals that are not near-duplicates; returns (stored, duplicates)."""
    settings = get_settings()
    threshold = settings.improve_dedupe_threshold
    stored: list[Row] = []
    duplicates: list[dict[str, Any]] = []
    kept: list[Proposal] = []
    with get_database().transaction() as tx:
        # Serialise analyses of one agent so two at once cannot both insert an idea.
        tx.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"improve:{user_id}:{agent_id}",))
        for proposal in proposals:
            twin = next(
                (k for k in kept if _cosine(k.embedding, proposal.embedding) >= threshold), None
            )
            if twin is not None:
                duplicates.append({"improvement": proposal.improvement, "duplicateOf": None})
                continue
            near = _nearest(tx, user_id, agent_id, embedding_model, proposal.embedding)
            if near is not None and near["similarity"] >= threshold:
                duplicates.append(
                    {
                        "improvement": proposal.improvement,
                        "duplicateOf": str(near["id"]),
                        "similarity": round(float(near["similarity"]), 4),
                    }
                )
                continue
            active = proposal.confidence >= settings.improve_auto_activate_confidence
            row = tx.one(
                "INSERT INTO agent_improvements (user_id, agent_id, improvement, evidence, "
                "confidence, status, embedding, embedding_model, decided_at) "
                "VALUES (%s, %s, %s, %s::jsonb, %s, %s, %s::vector, %s, "
                f"CASE WHEN %s THEN now() END) RETURNING {COLUMNS}",
                (
                    user_id,
                    agent_id,
                    proposal.improvement,
                    json.dumps(proposal.evidence),
                    proposal.confidence,
                    "active" if active else "proposed",
                    to_vector(proposal.embedding),
                    embedding_model,
                    active,
                ),
            )
            assert row is not None
            stored.append(row)
            kept.append(proposal)
    return stored, duplicates


def decide(user_id: str, improvement_id: str, status: Literal["active", "rejected"]) -> Row:
    """Accept (``active``) or reject an improvement of this user; either may be undone."""
    improvement_id = object_id(improvement_id, "improvement")
    with get_database().transaction() as tx:
        row = tx.one(
            "UPDATE agent_improvements SET status = %s, decided_at = now() "
            f"WHERE id = %s AND user_id = %s RETURNING {COLUMNS}",
            (status, improvement_id, user_id),
        )
    if row is None:
        raise NotFound("improvement not found")
    return row


def list_improvements(user_id: str, agent_id: str, status: str = "active") -> list[Row]:
    with get_database().transaction() as tx:
        if status == "all":
            return tx.all(
                f"SELECT {COLUMNS} FROM agent_improvements WHERE user_id = %s "
                f"AND agent_id = %s {_ORDER}",
                (user_id, agent_id),
            )
        return tx.all(
            f"SELECT {COLUMNS} FROM agent_improvements WHERE user_id = %s AND agent_id = %s "
            f"AND status = %s {_ORDER}",
            (user_id, agent_id, status),
        )


def active_improvements(user_id: str, agent_id: str) -> list[str]:
    """The texts of the agent's active improvements, oldest decision first, for the
    Evolver's critique prompt."""
    return [row["improvement"] for row in list_improvements(user_id, agent_id, "active")]
