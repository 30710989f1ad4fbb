"""Analysis: the model reads an agent's recent low-rated feedback and evolution logs and
proposes short, actionable improvements, each with the evidence it came from.

The model's answer is checked before it is stored: evidence may only cite feedback that
was shown to it, texts are trimmed, confidence is clamped to [0, 1]. A model failure
degrades to an empty answer with a note, never an error."""

from __future__ import annotations

import json
from typing import Any

from shared import logs
from shared.config import get_settings
from shared.db import get_database
from shared.improve import service
from shared.improve.proposals import MAX_PROPOSALS, ImprovementAnalysis
from shared.improve.stats import EVOLUTION
from shared.model import get_model
from shared.model.port import Model, ModelFailure, Usage

log = logs.get(__name__)

LOW_RATING = 2
FEEDBACK_LIMIT = 50
EVOLUTION_LIMIT = 20
MAX_TEXT = 300


SYSTEM = (
    "You improve an AI agent of a creator platform from what its users said about it. "
    "Propose at most five improvements. Each is one short imperative instruction the "
    "agent's self-critique can check an output against (under 200 characters), backed "
    "by evidence: the feedback_id and a short quote of each feedback it answers, or a "
    "quote of an evolution log. Propose nothing the evidence does not support, and "
    "nothing already in 'existing'. Confidence is how strongly and how often the "
    "evidence points to the same fix, from 0 to 1."
)


def _gather(user_id: str, agent_id: str) -> dict[str, Any]:
    days = get_settings().improve_analysis_days
    with get_database().transaction() as tx:
        feedback = tx.all(
            "SELECT id, rating, comment, output FROM agent_feedback "
            "WHERE user_id = %s AND agent_id = %s AND rating <= %s "
            "AND created_at > now() - make_interval(days => %s) "
            "ORDER BY created_at DESC, id LIMIT %s",
            (user_id, agent_id, LOW_RATING, days, FEEDBACK_LIMIT),
        )
        evolutions = tx.all(
            "SELECT id, context FROM episodic_memories "
            "WHERE user_id = %s AND agent_id = %s AND interaction_type = %s "
            "AND created_at > now() - make_interval(days => %s) "
            "ORDER BY created_at DESC, id LIMIT %s",
            (user_id, agent_id, EVOLUTION, days, EVOLUTION_LIMIT),
        )
        existing = tx.all(
            "SELECT improvement FROM agent_improvements WHERE user_id = %s AND agent_id = %s "
            "AND status <> 'rejected' ORDER BY created_at, id",
            (user_id, agent_id),
        )
    return {
        "agentId": agent_id,
        "feedback": [
            {
                "id": str(f["id"]),
                "rating": f["rating"],
                "comment": f["comment"] or "",
                "output": _clip(f["output"], 500),
            }
            for f in feedback
        ],
        "evolutions": [_evolution(e) for e in evolutions],
        "existing": [e["improvement"] for e in existing],
    }


def _clip(value: Any, limit: int) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text[:limit]


def _evolution(row: dict[str, Any]) -> dict[str, Any]:
    context = row["context"] if isinstance(row["context"], dict) else {}
    return {
        "id": str(row["id"]),
        "iterations": context.get("iterations"),
        "initialScore": context.get("initialScore"),
        "finalScore": context.get("finalScore"),
        "log": _clip(context.get("evolutionLog"), 2000),
    }


def _checked(answer: ImprovementAnalysis, data: dict[str, Any]) -> list[service.Proposal]:
    known = {f["id"] for f in data["feedback"]}
    proposals = []
    for p in answer.proposals[:MAX_PROPOSALS]:
        text = " ".join(p.improvement.split())[:MAX_TEXT]
        if not text:
            continue
        evidence = [
            {
                "feedbackId": e.feedback_id if e.feedback_id in known else None,
                "quote": " ".join(e.quote.split())[:MAX_TEXT],
            }
            for e in p.evidence[:10]
            if e.quote.strip() or e.feedback_id in known
        ]
        proposals.append(service.Proposal(text, min(1.0, max(0.0, float(p.confidence))), evidence))
    return proposals


def _degraded(agent_id: str, note: str, usage: Usage) -> dict[str, Any]:
    return {
        "agentId": agent_id,
        "proposals": [],
        "duplicates": [],
        "note": note,
        "usage": {"calls": usage.calls, "tokens": usage.tokens},
    }


def analyze(user_id: str, agent_id: str, model: Model | None = None) -> dict[str, Any]:
    """Propose, dedupe and store improvements for one agent of one user (with the
    instance's model unless another adapter of the port is given)."""
    data = _gather(user_id, agent_id)
    usage = Usage()
    if not data["feedback"] and not data["evolutions"]:
        return _degraded(
            agent_id, "no recent low-rated feedback or evolutions to learn from", usage
        )
    model = model or get_model()
    prompt = (
        "Recent low-rated feedback (rating <= 2), evolution logs of the agent and the "
        "improvements it already has, as JSON:\n" + json.dumps(data, default=str)
    )
    try:
        result = model.generate_structured(prompt, ImprovementAnalysis, system=SYSTEM, data=data)
        usage.add(result.usage)
        proposals = _checked(result.value, data)
        if proposals:
            embedded = model.embed([p.improvement for p in proposals], "RETRIEVAL_DOCUMENT")
            usage.add(embedded.usage)
            for proposal, vector in zip(proposals, embedded.value, strict=True):
                proposal.embedding = vector
    except ModelFailure as exc:
        usage.add(exc.usage)
        log.warning("improvement analysis degraded: %s (%s)", exc.message, exc.kind)
        return _degraded(agent_id, f"analysis unavailable: the model failed ({exc.kind})", usage)
    stored, duplicates = service.store_proposals(
        user_id, agent_id, proposals, model.embedding_model
    )
    return {
        "agentId": agent_id,
        "proposals": stored,
        "duplicates": duplicates,
        "note": result.value.note or None,
        "model": model.name,
        "usage": {"calls": usage.calls, "tokens": usage.tokens},
    }
