"""The registry of step types: a new type is a module here, listed once below; the
save-time checks, the engine and the OpenAPI document read this registry."""

from __future__ import annotations

from typing import Any

from shared.workflows.step_types import (
    agent,
    condition,
    emit,
    http,
    sleep,
    swarm,
    wait_for_event,
)
from shared.workflows.step_types.base import RunContext, StepModel, StepType

REGISTRY: dict[str, StepType[Any]] = {
    kind.name: kind
    for kind in (
        agent.TYPE,
        http.TYPE,
        emit.TYPE,
        condition.TYPE,
        sleep.TYPE,
        wait_for_event.TYPE,
        swarm.TYPE,
    )
}
NAMES = tuple(REGISTRY)

__all__ = ["NAMES", "REGISTRY", "RunContext", "StepModel", "StepType", "of"]


def of(name: Any) -> StepType[Any] | None:
    return REGISTRY.get(name) if isinstance(name, str) else None
