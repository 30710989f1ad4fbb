"""``scribe_01``: generates content and transforms content it is given.

Actions:
- ``generate`` ``{topic, format?, audience?, tone?, words?}`` -> ``{id, title, content, format, notes}``
- ``transform`` ``{content, instruction}`` -> the same shape, the content rewritten
- ``summarize`` ``{content, words?}`` -> the same shape, the content a summary

The user's Digital Soul (``payload.soul``) and memory context steer the voice."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from shared.agents.base import AgentTask
from shared.agents.kit import (
    ModelAgent,
    Output,
    as_list,
    keywords,
    sentences,
    text_field,
    with_context,
)
from shared.model import get_model
from shared.model.offline import heuristic

FORMATS = ("post", "thread", "article", "script", "caption", "email")
SYSTEM = (
    "You are Scribe, the writing agent of a creator platform. Write in the creator's "
    "voice as described, never invent facts about them, and follow the requested format."
)


class Draft(BaseModel):
    title: str = Field(max_length=200)
    content: str
    notes: list[str] = Field(default_factory=list, max_length=10)


def _soul_voice(soul: Any) -> dict[str, list[str]]:
    fingerprint: Mapping[str, Any] = {}
    if isinstance(soul, Mapping):
        found = soul.get("semantic_fingerprint", soul.get("semanticFingerprint", soul))
        fingerprint = found if isinstance(found, Mapping) else {}
    return {
        "tone": as_list(fingerprint.get("tone")),
        "avoid": as_list(fingerprint.get("avoid")),
        "audience": as_list(fingerprint.get("audience")),
    }


class Scribe(ModelAgent):
    id = "scribe_01"
    description = "Generates content in the creator's voice and transforms given content"
    actions = frozenset({"generate", "transform", "summarize"})

    def generate(self, task: AgentTask) -> Output:
        topic = text_field(task.payload, "topic", "prompt", "brief")
        fmt = str(task.payload.get("format") or "post")
        voice = _soul_voice(task.payload.get("soul"))
        data: dict[str, Any] = {
            "mode": "generate",
            "topic": topic,
            "format": fmt if fmt in FORMATS else "post",
            "audience": str(task.payload.get("audience") or ""),
            "tone": str(task.payload.get("tone") or ""),
            "words": _words(task.payload, 150),
            "voice": voice,
        }
        prompt = (
            f"Write a {data['format']} of about {data['words']} words on: {topic}\n"
            f"Audience: {data['audience'] or 'the creator audience'}. "
            f"Tone: {data['tone'] or ', '.join(voice['tone']) or 'the creator voice'}. "
            f"Never use: {', '.join(voice['avoid']) or 'nothing in particular'}."
        )
        return self._write(task, prompt, data)

    def transform(self, task: AgentTask) -> Output:
        content = text_field(task.payload, "content", "text")
        instruction = text_field(task.payload, "instruction", "goal")
        data = {"mode": "transform", "content": content, "instruction": instruction}
        prompt = f"Rewrite the content below. Instruction: {instruction}\n\n---\n{content}"
        return self._write(task, prompt, data)

    def summarize(self, task: AgentTask) -> Output:
        content = text_field(task.payload, "content", "text")
        data = {"mode": "summarize", "content": content, "words": _words(task.payload, 60)}
        prompt = f"Summarise the content below in at most {data['words']} words.\n\n---\n{content}"
        return self._write(task, prompt, data)

    def _write(self, task: AgentTask, prompt: str, data: dict[str, Any]) -> Output:
        result = get_model().generate_structured(
            with_context(prompt, task.context), Draft, system=SYSTEM, data=data
        )
        draft = result.value
        output = {
            "id": str(uuid.uuid4()),
            "title": draft.title,
            "content": draft.content,
            "format": data.get("format", "text"),
            "notes": draft.notes,
        }
        return output, result.usage


def _words(payload: dict[str, Any], default: int) -> int:
    try:
        return max(10, min(int(payload.get("words") or default), 2000))
    except (TypeError, ValueError):
        return default


@heuristic(Draft)
def _offline_draft(prompt: str, data: Mapping[str, Any]) -> Draft:
    """Rubric (no language model): ``generate`` lays out a hook, three points built
    from the topic's key words and a call to action, in the format asked;
    ``summarize`` keeps the leading sentences up to the word budget; ``transform``
    applies instructions it recognises (shorten, bullet points, uppercase, lowercase)
    and otherwise returns the content unchanged, saying so in ``notes``."""
    mode = data.get("mode")
    note = "offline draft: deterministic template, no language model"
    if mode == "summarize":
        return Draft(
            title="Summary",
            content=_leading(str(data["content"]), int(data["words"])),
            notes=[note],
        )
    if mode == "transform":
        content, applied = _transform(str(data["content"]), str(data["instruction"]))
        notes = [
            note,
            f"applied: {applied}"
            if applied
            else "instruction not recognised offline; content unchanged",
        ]
        return Draft(title="Rewrite", content=content, notes=notes)
    topic = str(data.get("topic", "")).strip()
    terms = keywords(topic, 3) or [topic]
    voice = data.get("voice") or {}
    avoid = {w.lower() for w in voice.get("avoid", [])}
    points = [t for t in terms if t.lower() not in avoid]
    lines = [f"{topic.rstrip('.')}: here is what matters."]
    lines += [
        f"{i}. Why {point} matters, and what to do about it." for i, point in enumerate(points, 1)
    ]
    lines.append("What would you add? Tell me below.")
    joiner = "\n\n" if data.get("format") in ("article", "email", "script") else "\n"
    tone = ", ".join(voice.get("tone", [])) or str(data.get("tone") or "")
    notes = [note] + ([f"tone requested: {tone}"] if tone else [])
    return Draft(title=topic[:200] or "Untitled", content=joiner.join(lines), notes=notes)


def _leading(content: str, budget: int) -> str:
    kept: list[str] = []
    count = 0
    for sentence in sentences(content):
        size = len(sentence.split())
        if kept and count + size > budget:
            break
        kept.append(sentence)
        count += size
    return " ".join(kept)


def _transform(content: str, instruction: str) -> tuple[str, str]:
    wanted = instruction.lower()
    if any(w in wanted for w in ("shorten", "shorter", "concise", "trim")):
        return _leading(content, max(10, len(content.split()) // 2)), "shortened to half"
    if "bullet" in wanted or "list" in wanted:
        return "\n".join(f"- {s}" for s in sentences(content)), "one bullet per sentence"
    if "uppercase" in wanted or "upper case" in wanted:
        return content.upper(), "uppercase"
    if "lowercase" in wanted or "lower case" in wanted:
        return content.lower(), "lowercase"
    return content, ""


AGENT = Scribe()
