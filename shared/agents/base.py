"""The agent interface: ``execute(task) -> result``.

A task carries the user, the action, the step's rendered payload and the memory
context built for it; a result is a JSON object plus whether it succeeded and what
the model calls cost. Agents never raise for a model failure: they answer
``success=False`` with the error, so one failing step cannot break a run, and say
whether a later attempt may succeed (``retryable``: the model was rate limited, down
or timed out), so a workflow step can be retried."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from shared.model.port import Usage


@dataclass
class AgentTask:
    user_id: str
    action: str
    payload: dict[str, Any]
    context: str = ""


# the ``ModelFailure`` kinds a later attempt may not meet
TRANSIENT_MODEL_FAILURES = frozenset({"rate_limited", "retryable"})


@dataclass
class AgentResult:
    success: bool
    output: dict[str, Any]
    error: str | None = None
    usage: Usage = field(default_factory=Usage)
    retryable: bool = False


class Agent(Protocol):
    id: str
    description: str
    actions: frozenset[str]

    def execute(self, task: AgentTask) -> AgentResult: ...
