"""The registry of step types: a new type is a module here, listed once below; the
save-time checks, the engine and the OpenAPI document read this registry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Field

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

if TYPE_CHECKING:
    StepDefinition = dict[str, Any]
else:
    # one step as a workflow stores it: the models of the registry, told apart by
    # ``type`` (for the document; ``definition.validate_steps`` checks a workflow)
    StepDefinition = Annotated[
        Union[tuple(kind.model for kind in REGISTRY.values())],  # noqa: UP007
        Field(discriminator="type"),
    ]

__all__ = [
    "NAMES",
    "REGISTRY",
    "RunContext",
    "StepDefinition",
    "StepModel",
    "StepType",
    "of",
]


def of(name: Any) -> StepType[Any] | None:
    return REGISTRY.get(name) if isinstance(name, str) else None
