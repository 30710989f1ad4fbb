"""The memory context an agent or the Evolver puts into a prompt.

The Digital Soul comes first, always (cut to the budget if it alone exceeds it); then
the semantic memories most relevant to the query (hybrid recall: by meaning and by
keyword), the user's recent episodic memories (of the agent, when one is named) and the
agent's procedures. Each section first gets
a fair share of what the soul left, then unused space goes to the sections in that
order. Lines and items are ordered with ties broken by id, so the same state gives the
same text. A model failure while embedding the query degrades to keyword recall (or,
when that finds nothing, the most confident facts) instead of failing the agent."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from shared import logs
from shared.db import Row, get_database
from shared.memory.kinds import EPISODIC, PROCEDURAL, SEMANTIC
from shared.memory.recall import recall
from shared.memory.soul import current_soul
from shared.model.port import ModelFailure

log = logs.get(__name__)

PER_SECTION = 10  # items read per section
MAX_LINE = 600  # characters per item line
_SOUL_ORDER = ("tone", "vocabulary", "avoid", "audience")
_SHARES = (0.45, 0.3, 0.25)  # facts, recent interactions, procedures


@dataclass
class MemoryContext:
    text: str
    soul: Row | None
    semantic: list[Row] = field(default_factory=list)
    episodic: list[Row] = field(default_factory=list)
    procedural: list[Row] = field(default_factory=list)
    degraded: bool = False  # relevance search was unavailable

    @property
    def items(self) -> list[Row]:
        return [*self.semantic, *self.episodic, *self.procedural]


def _value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def soul_text(soul: Row) -> str:
    fingerprint: dict[str, Any] = soul["semantic_fingerprint"] or {}
    keys = [k for k in _SOUL_ORDER if k in fingerprint]
    keys += sorted(k for k in fingerprint if k not in _SOUL_ORDER)
    lines = [f"## Voice (Digital Soul v{soul['version']})"]
    lines += [f"{k}: {_value(fingerprint[k])}" for k in keys]
    lines += [f"exemplar: {e}" for e in soul["exemplars"] or []]
    return "\n".join(lines)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def _fact(row: Row) -> str:
    category = f"[{row['category']}] " if row.get("category") else ""
    return f"- {category}{row['content']}"


def _interaction(row: Row) -> str:
    who = row.get("agent_id") or "user"
    return f"- {row['created_at']:%Y-%m-%d} {who}: {row['content']}"


def _procedure(row: Row) -> str:
    name = f"{row['name']}: " if row.get("name") else ""
    return f"- {name}{row['content']} (used {row['usage_count']}, succeeded {row['success_count']})"


def _recent(user_id: str, agent_id: str | None) -> list[Row]:
    agent = " AND agent_id = %s" if agent_id else ""
    with get_database().transaction() as tx:
        return tx.all(
            f"SELECT {EPISODIC.select} FROM episodic_memories WHERE user_id = %s "
            f"AND archived_at IS NULL{agent} ORDER BY created_at DESC, id LIMIT %s",
            [user_id, *([agent_id] if agent_id else []), PER_SECTION],
        )


def _procedures(user_id: str, agent_id: str | None) -> list[Row]:
    if not agent_id:
        return []
    with get_database().transaction() as tx:
        return tx.all(
            f"SELECT {PROCEDURAL.select} FROM procedural_memories WHERE user_id = %s "
            "AND agent_id = %s ORDER BY success_count DESC, usage_count DESC, id LIMIT %s",
            (user_id, agent_id, PER_SECTION),
        )


def _confident_facts(user_id: str) -> list[Row]:
    with get_database().transaction() as tx:
        return tx.all(
            f"SELECT {SEMANTIC.select} FROM semantic_memories WHERE user_id = %s "
            f"AND {SEMANTIC.live} ORDER BY confidence DESC, updated_at DESC, id LIMIT %s",
            (user_id, PER_SECTION),
        )


def _pack(header: str, rows: list[Row], render: Any, budget: int) -> tuple[list[str], list[Row]]:
    lines: list[str] = []
    kept: list[Row] = []
    used = len(header) + 2  # the block and the blank line that separates it
    for row in rows:
        line = _clip(render(row), MAX_LINE)
        if used + len(line) + 1 > budget:
            break
        lines.append(line)
        kept.append(row)
        used += len(line) + 1
    return ([header, *lines] if lines else []), kept


def build_context(
    user_id: str, agent_id: str | None, query: str, *, budget_chars: int = 4000
) -> MemoryContext:
    """Prompt-ready memory for (user, agent, query), at most ``budget_chars`` long."""
    soul = current_soul(user_id)
    degraded = False
    if not query.strip():
        facts = _confident_facts(user_id)
    else:
        try:
            facts = recall(user_id, query, type="semantic", limit=PER_SECTION)
        except ModelFailure as exc:
            log.warning("context without semantic search: %s", exc.message)
            keyword = recall(user_id, query, mode="keyword", type="semantic", limit=PER_SECTION)
            facts, degraded = keyword or _confident_facts(user_id), True
    sections = [
        ("## Relevant facts", facts, _fact),
        ("## Recent interactions", _recent(user_id, agent_id), _interaction),
        (f"## Procedures of {agent_id}", _procedures(user_id, agent_id), _procedure),
    ]
    head = _clip(soul_text(soul), budget_chars) if soul else ""
    left = budget_chars - (len(head) + 2 if head else 0)
    chosen: list[tuple[list[str], list[Row]]] = []
    for (header, rows, render), share in zip(sections, _SHARES, strict=True):
        chosen.append(_pack(header, rows, render, int(max(0, left) * share)))
    spare = max(0, left) - sum(len("\n".join(lines)) + 2 for lines, _ in chosen if lines)
    for i, (header, rows, render) in enumerate(sections):
        lines, kept = chosen[i]
        current = len("\n".join(lines)) + 2 if lines else 0
        if len(kept) < len(rows) and spare > 0:
            chosen[i] = _pack(header, rows, render, current + spare)
            spare -= (len("\n".join(chosen[i][0])) + 2 if chosen[i][0] else 0) - current
    blocks = [head] if head else []
    blocks += ["\n".join(lines) for lines, _ in chosen if lines]
    text = "\n\n".join(blocks)
    return MemoryContext(
        text=text[:budget_chars],
        soul=soul,
        semantic=chosen[0][1],
        episodic=chosen[1][1],
        procedural=chosen[2][1],
        degraded=degraded,
    )
