"""Episodic memory: what an agent did for a user, recorded after each interaction."""

from __future__ import annotations

from typing import Any

from shared.db import Row, Tx
from shared.memory.store import MemoryWrite, store_one

MAX_SUMMARY_CHARS = 2000  # per summary; longer ones are cut with a marker, never rejected


def _clip(text: str) -> str:
    text = text.strip()
    if len(text) <= MAX_SUMMARY_CHARS:
        return text
    return text[: MAX_SUMMARY_CHARS - 1].rstrip() + "…"


def interaction_text(
    interaction_type: str, input_summary: str, output_summary: str, outcome: str
) -> str:
    """The text an interaction is embedded and de-duplicated by."""
    parts = [f"{interaction_type}:", input_summary]
    if output_summary:
        parts += ["->", output_summary]
    if outcome:
        parts.append(f"[{outcome}]")
    return " ".join(p for p in parts if p)


def record_interaction(
    user_id: str,
    agent_id: str | None,
    interaction_type: str,
    input_summary: str,
    output_summary: str,
    outcome: str,
    context: dict[str, Any],
    *,
    importance: float = 0.5,
    tx: Tx | None = None,
    depth: int = 0,
    dedupe: bool = True,
) -> Row:
    """Store one interaction (embedded, de-duplicated) and return its row, without the
    embedding. With ``tx`` the write joins that transaction; the embedding call happens
    before it. ``depth`` is passed to the ``memory.stored`` event: a write caused by an
    event should pass that event's depth + 1 so trigger loops stay bounded. Raises
    ``ModelFailure`` when the text cannot be embedded. ``dedupe=False`` keeps an
    event-like record (an evolution) as its own row even when its text repeats."""
    input_summary, output_summary = _clip(input_summary or ""), _clip(output_summary or "")
    write = MemoryWrite(
        type="episodic",
        content=interaction_text(interaction_type, input_summary, output_summary, outcome),
        fields={
            "agent_id": agent_id,
            "interaction_type": interaction_type,
            "input_summary": input_summary,
            "output_summary": output_summary,
            "outcome": outcome,
            "context": context or {},
            "importance": min(1.0, max(0.0, float(importance))),
        },
        dedupe=dedupe,
    )
    return store_one(user_id, write, tx=tx, depth=depth).memory
