"""What a workflow's steps may say, checked when the workflow is saved, not when it runs.

Each step is parsed into the model of its type (``shared.workflows.step_types``); the
save-time check adds what a model alone cannot know: the type's own rules (that the
agent and its action exist, that conditions are well formed, ...), that ids are
unique, and that every template reads a step that runs earlier. Every refusal is a 422
naming the step (``details.step`` carries its id)."""

from __future__ import annotations

from functools import partial
from typing import Any

from pydantic import ValidationError

from shared.errors import Invalid
from shared.web.router import validation_message
from shared.workflows import step_types, templating
from shared.workflows.step_types import StepModel

MAX_STEPS = 50
# A run's events fan out through triggers: few emits per run keep a chain narrow.
MAX_EMIT_STEPS = 10
MAX_NAME = 200
MAX_DESCRIPTION = 2000

STEP_TYPES = step_types.NAMES


def parse_step(raw: Any) -> StepModel:
    """Parse one stored step; ``ValueError`` (pydantic's ``ValidationError`` among
    them) when it is not a valid step."""
    kind = step_types.of(raw.get("type")) if isinstance(raw, dict) else None
    if kind is None:
        raise ValueError("unknown step type")
    step: StepModel = kind.parse(raw)
    return step


def _refuse(index: int, step_id: str | None, message: str) -> Invalid:
    name = f"step '{step_id}' (#{index + 1})" if step_id else f"step #{index + 1}"
    return Invalid(f"{name}: {message}", details={"step": step_id, "stepIndex": index})


def validate_steps(steps: Any) -> list[dict[str, Any]]:
    """Check a workflow's steps as a whole; return them as stored."""
    if not isinstance(steps, list):
        raise Invalid("steps must be a list")
    if len(steps) > MAX_STEPS:
        raise Invalid(f"steps: at most {MAX_STEPS} steps")
    if sum(isinstance(raw, dict) and raw.get("type") == "emit" for raw in steps) > MAX_EMIT_STEPS:
        raise Invalid(f"steps: at most {MAX_EMIT_STEPS} emit steps")
    seen: list[str] = []
    for index, raw in enumerate(steps):
        if not isinstance(raw, dict):
            raise _refuse(index, None, "must be an object")
        step_id = raw.get("id") if isinstance(raw.get("id"), str) else None
        kind = step_types.of(raw.get("type"))
        if kind is None:
            raise _refuse(
                index,
                step_id,
                f"unknown step type {raw.get('type')!r} (known: {', '.join(STEP_TYPES)})",
            )
        try:
            step = kind.parse(raw)
        except ValidationError as exc:
            detail = validation_message(exc).removeprefix("invalid request body: ")
            raise _refuse(index, step_id, detail) from None
        if step.id in seen:
            raise _refuse(index, step.id, "duplicate step id")
        kind.check(step, partial(_refuse, index, step.id))
        _check_templates(index, step.id, kind.templated(step), seen)
        seen.append(step.id)
    return steps


def _check_templates(index: int, step_id: str, templated: Any, earlier: list[str]) -> None:
    for path in templating.placeholders(templated):
        try:
            ref = templating.referenced_steps(path)
        except templating.TemplateError as exc:
            raise _refuse(index, step_id, str(exc)) from None
        if ref is not None and ref not in earlier:
            where = "itself" if ref == step_id else f"step {ref!r}"
            raise _refuse(
                index, step_id, f"{{{{{path}}}}} reads {where}, which does not run before it"
            )
