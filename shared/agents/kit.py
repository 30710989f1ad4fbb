"""What the built-in agents share: dispatch of an action to a method, the translation
of model failures and bad payloads into a failed ``AgentResult`` (an agent never
raises for them), and the small text measures their offline heuristics use."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from shared.agents.base import TRANSIENT_MODEL_FAILURES, AgentResult, AgentTask
from shared.logs import get
from shared.model.offline import words
from shared.model.port import ModelFailure, Usage

log = get(__name__)

MAX_MATERIAL_CHARS = 20_000


def listed(text: str) -> frozenset[str]:
    """A word list written as text."""
    return frozenset(text.split())


STOPWORDS = listed(
    """a about above after again all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers him his how i if in into is it its
    itself just me more most my no nor not now of off on once only or other our ours out
    over own same she should so some such than that the their theirs them then there these
    they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours"""
)

Output = tuple[dict[str, Any], Usage]


class PayloadError(ValueError):
    """The task's payload lacks what the action needs; the message says what."""


class ModelAgent:
    """An agent whose actions are methods named after them (``generate`` ->
    ``self.generate(task)``), each returning its output and the usage it cost."""

    id: str = ""
    description: str = ""
    actions: frozenset[str] = frozenset()

    def execute(self, task: AgentTask) -> AgentResult:
        if task.action not in self.actions:
            known = ", ".join(sorted(self.actions))
            return AgentResult(
                False, {}, error=f"{self.id} has no action {task.action!r} ({known})"
            )
        method: Callable[[AgentTask], Output] = getattr(self, task.action)
        try:
            output, usage = method(task)
        except PayloadError as exc:
            return AgentResult(False, {}, error=f"{self.id}.{task.action}: {exc}")
        except ModelFailure as exc:
            log.warning("%s.%s: model failed (%s)", self.id, task.action, exc.kind)
            return AgentResult(
                False,
                {},
                error=f"{self.id}.{task.action}: the model failed ({exc.kind}): {exc.message}",
                usage=exc.usage,
                retryable=exc.kind in TRANSIENT_MODEL_FAILURES,
            )
        return AgentResult(True, output, usage=usage)


def text_field(payload: dict[str, Any], *names: str, required: bool = True) -> str:
    """The first of ``names`` present in the payload, as text (objects as their
    values' text), capped at ``MAX_MATERIAL_CHARS``."""
    for name in names:
        value = payload.get(name)
        if value not in (None, "", [], {}):
            return as_text(value)[:MAX_MATERIAL_CHARS]
    if required:
        raise PayloadError(f"payload needs {' or '.join(repr(n) for n in names)}")
    return ""


def as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(as_text(v) for v in value.values() if v is not None)
    if isinstance(value, list):
        return "\n".join(as_text(v) for v in value if v is not None)
    return str(value)


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def keywords(text: str, limit: int = 5) -> list[str]:
    """The most frequent content words (ties broken by first appearance)."""
    tokens = [w for w in words(text) if w not in STOPWORDS and len(w) > 2 and not w.isdigit()]
    counts = Counter(tokens)
    order = {w: i for i, w in reversed(list(enumerate(tokens)))}
    return sorted(counts, key=lambda w: (-counts[w], order[w]))[:limit]


def as_list(value: Any) -> list[str]:
    """A fingerprint entry given as a string or a list, as a list of strings."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[,;]", value) if part.strip()]
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value)]


def with_context(prompt: str, context: str) -> str:
    if not context:
        return prompt
    return f"{prompt}\n\nWhat is known about this user (from memory):\n{context}"
