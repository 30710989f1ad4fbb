"""Consolidation: recent episodic memories that resemble each other become one semantic
memory (summarised through the model, linked to its sources), and old low-importance
episodic memories are archived. Nothing is deleted.

Idempotent: summarised sources are marked ``consolidated_at`` and only unmarked ones
are read, archived ones are marked ``archived_at``, and a summary is written through
the de-duplicating store. Each group is written in one transaction that first checks
its sources are still unmarked, so two concurrent runs cannot summarise a group twice.
A model failure leaves the affected groups for the next run and is reported."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from shared import logs
from shared.config import get_settings
from shared.db import Row, get_database
from shared.memory.store import MemoryWrite, embed, lock, write_embedded
from shared.model import get_model
from shared.model.offline import heuristic, words
from shared.model.port import Model, ModelFailure

log = logs.get(__name__)

MAX_CANDIDATES = 500  # most recent unconsolidated memories read per run
MAX_GROUP = 20

SYSTEM = (
    "You consolidate an assistant's memory of one user. Given related interactions, "
    "state the one durable fact or pattern they show (what the user does, what works, "
    "what fails) in one or two sentences, without inventing details."
)


class MemorySummary(BaseModel):
    summary: str = Field(min_length=1, max_length=2000)
    category: str = Field("pattern", min_length=1, max_length=100)
    confidence: float = Field(0.7, ge=0, le=1)


_STOP = {"a", "an", "and", "the", "of", "to", "in", "on", "for", "with", "by", "at", "from"}
_STOP |= {"is", "are", "was", "were", "be", "it", "this", "that", "as", "or", "not", "no"}


@heuristic(MemorySummary)
def offline_summary(prompt: str, data: Mapping[str, Any]) -> MemorySummary:
    """Offline heuristic, not understanding. Rubric: name the agents and interaction
    types the group shares, tally the outcomes, list up to eight words found in at least
    half of the memories (most frequent first, then alphabetical); confidence is 0.5
    plus 0.05 per memory, at most 0.9."""
    memories = list(data.get("memories", []))
    count = len(memories)
    agents = sorted({str(m.get("agent_id") or "no agent") for m in memories})
    types = sorted({str(m.get("interaction_type") or "interaction") for m in memories})
    outcomes = Counter(str(m.get("outcome") or "unknown") for m in memories)
    seen: Counter[str] = Counter()
    for m in memories:
        seen.update({w for w in words(str(m.get("content", ""))) if w not in _STOP})
    common = sorted((w for w, n in seen.items() if n * 2 >= count), key=lambda w: (-seen[w], w))
    tally = ", ".join(f"{o} {n}" for o, n in sorted(outcomes.items()))
    text = f"{count} similar {'/'.join(types)} interactions with {', '.join(agents)} ({tally})"
    if common:
        text += f"; recurring: {', '.join(common[:8])}"
    return MemorySummary(
        summary=text + ".", category="pattern", confidence=min(0.9, 0.5 + 0.05 * count)
    )


def _candidates(user_id: str, model: str) -> tuple[list[Row], dict[str, set[str]]]:
    settings = get_settings()
    with get_database().transaction() as tx:
        rows = tx.all(
            "SELECT id, agent_id, interaction_type, outcome, content, created_at "
            "FROM episodic_memories WHERE user_id = %s AND consolidated_at IS NULL "
            "AND archived_at IS NULL AND embedding_model = %s "
            "AND created_at >= now() - make_interval(days => %s) "
            "ORDER BY created_at DESC, id LIMIT %s",
            (user_id, model, settings.memory_consolidation_window_days, MAX_CANDIDATES),
        )
        ids = [str(r["id"]) for r in rows]
        edges = tx.all(
            "SELECT a.id AS a, b.id AS b FROM episodic_memories a JOIN episodic_memories b "
            "ON a.id < b.id WHERE a.user_id = %s AND b.user_id = %s "
            "AND a.id = ANY(%s::uuid[]) AND b.id = ANY(%s::uuid[]) "
            "AND 1 - (a.embedding <=> b.embedding) >= %s",
            (user_id, user_id, ids, ids, settings.memory_group_similarity),
        )
    near: dict[str, set[str]] = {}
    for e in edges:
        near.setdefault(str(e["a"]), set()).add(str(e["b"]))
        near.setdefault(str(e["b"]), set()).add(str(e["a"]))
    rows.sort(key=lambda r: (r["created_at"], str(r["id"])))
    return rows, near


def group(rows: list[Row], near: dict[str, set[str]]) -> list[list[Row]]:
    """Greedy, deterministic: in time order, each memory not yet grouped gathers the
    ungrouped memories similar to it (up to ``MAX_GROUP``); groups of one are dropped."""
    taken: set[str] = set()
    groups = []
    for seed in rows:
        sid = str(seed["id"])
        if sid in taken:
            continue
        linked = near.get(sid, set())
        similar = [r for r in rows if str(r["id"]) in linked and str(r["id"]) not in taken]
        members = [seed, *similar[: MAX_GROUP - 1]]
        if len(members) > 1:
            taken.update(str(m["id"]) for m in members)
            groups.append(members)
    return groups


def _prompt(members: list[Row]) -> str:
    lines = [f"- {m['created_at']:%Y-%m-%d} {m['content']}" for m in members]
    return "Related interactions:\n" + "\n".join(lines) + "\nSummarise them as one memory."


def _summarise(model: Model, members: list[Row]) -> MemorySummary:
    data = {
        "memories": [
            {k: m[k] for k in ("agent_id", "interaction_type", "outcome", "content")}
            for m in members
        ]
    }
    result = model.generate_structured(_prompt(members), MemorySummary, system=SYSTEM, data=data)
    summary: MemorySummary = result.value
    return summary


def consolidate(user_id: str, *, model: Model | None = None) -> dict[str, Any]:
    """Consolidate one user's memory; returns what was summarised (each new or updated
    semantic memory with its sources), how many episodic memories were merged into
    summaries, how many were archived, and any failure that degraded the run. ``model``
    defaults to the instance's model."""
    report: dict[str, Any] = {
        "userId": user_id,
        "examined": 0,
        "groups": 0,
        "summarised": [],
        "merged": 0,
        "archived": 0,
        "degraded": False,
        "errors": [],
    }
    model = model or get_model()
    rows, near = _candidates(user_id, model.embedding_model)
    groups = group(rows, near)
    report["examined"], report["groups"] = len(rows), len(groups)
    summaries: list[tuple[list[Row], MemorySummary]] = []
    for members in groups:
        try:
            summaries.append((members, _summarise(model, members)))
        except ModelFailure as exc:
            report["degraded"] = True
            report["errors"].append(f"summary of {len(members)} memories failed: {exc.message}")
    if summaries:
        try:
            texts = [s.summary for _, s in summaries]
            vectors, _ = embed(texts, "RETRIEVAL_DOCUMENT", model=model)
        except ModelFailure as exc:
            report["degraded"] = True
            report["errors"].append(f"summaries could not be embedded: {exc.message}")
            summaries, vectors = [], []
        for (members, summary), vector in zip(summaries, vectors, strict=True):
            _save(user_id, members, summary, vector, model.embedding_model, report)
    report["archived"] = archive(user_id)
    if report["degraded"]:
        log.warning("memory consolidation degraded for a user: %s", "; ".join(report["errors"]))
    return report


def _save(
    user_id: str,
    members: list[Row],
    summary: MemorySummary,
    vector: Any,
    embedding_model: str,
    report: dict[str, Any],
) -> None:
    sources = [str(m["id"]) for m in members]
    with get_database().transaction() as tx:
        lock(tx, f"consolidate:{user_id}")
        pending = tx.scalar(
            "SELECT count(*) FROM episodic_memories WHERE user_id = %s "
            "AND id = ANY(%s::uuid[]) AND consolidated_at IS NULL",
            (user_id, sources),
        )
        if pending != len(sources):
            return  # another run consolidated (some of) them meanwhile
        write = MemoryWrite(
            type="semantic",
            content=summary.summary,
            fields={
                "category": summary.category,
                "confidence": summary.confidence,
                "source": "consolidation",
                "source_memory_ids": sources,
                "metadata": {"consolidated": len(sources)},
            },
        )
        stored = write_embedded(tx, user_id, [write], [vector], embedding_model=embedding_model)[0]
        tx.execute(
            "UPDATE episodic_memories SET consolidated_at = now() "
            "WHERE user_id = %s AND id = ANY(%s::uuid[])",
            (user_id, sources),
        )
    report["summarised"].append(
        {"memoryId": str(stored.memory["id"]), "action": stored.action, "sources": sources}
    )
    report["merged"] += len(sources)


def archive(user_id: str) -> int:
    """Archive the user's old episodic memories of low importance (never delete)."""
    settings = get_settings()
    with get_database().transaction() as tx:
        return tx.execute(
            "UPDATE episodic_memories SET archived_at = now() WHERE user_id = %s "
            "AND archived_at IS NULL AND importance < %s "
            "AND created_at < now() - make_interval(days => %s)",
            (user_id, settings.memory_archive_importance, settings.memory_archive_after_days),
        )
