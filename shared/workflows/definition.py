"""What a workflow's steps may say, checked when the workflow is saved, not when it runs.

Each step is parsed into the model of its type; the save-time check adds what a model
alone cannot know: that the agent and its action exist, that ids are unique, that
every template reads a step that runs earlier, and that conditions are well formed.
Every refusal is a 422 naming the step (``details.step`` carries its id)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared import conditions
from shared.agents.registry import agents, get_agent
from shared.errors import BadRequest, Invalid
from shared.events.handlers import check_publishable
from shared.web.router import validation_message
from shared.workflows import templating

MAX_STEPS = 50
# A run's events fan out through triggers: few emits per run keep a chain narrow.
MAX_EMIT_STEPS = 10
MAX_NAME = 200
MAX_DESCRIPTION = 2000

StepId = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")]


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: StepId


class AgentStep(_Step):
    type: Literal["agent"]
    agent_id: str = Field(alias="agentId", min_length=1, max_length=100)
    action: str = Field(min_length=1, max_length=100)
    config: dict[str, Any] = Field(default_factory=dict)


class HttpConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "POST"
    url: str = Field(min_length=1, max_length=2048)
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    timeout_seconds: float | None = Field(None, alias="timeoutSeconds", gt=0, le=120)


class HttpStep(_Step):
    type: Literal["http"]
    config: HttpConfig


class EmitConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    event_type: str = Field(alias="eventType")
    payload: dict[str, Any] | str = Field(default_factory=dict)


class EmitStep(_Step):
    type: Literal["emit"]
    config: EmitConfig


class ConditionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    subject: dict[str, Any] | str | None = None
    conditions: dict[str, Any]


class ConditionStep(_Step):
    type: Literal["condition"]
    config: ConditionConfig


AnyStep = AgentStep | HttpStep | EmitStep | ConditionStep
_MODELS: dict[str, type[AnyStep]] = {
    "agent": AgentStep,
    "http": HttpStep,
    "emit": EmitStep,
    "condition": ConditionStep,
}
STEP_TYPES = tuple(_MODELS)


def parse_step(raw: Any) -> AnyStep:
    """Parse one stored step; ``ValueError`` (pydantic's ``ValidationError`` among
    them) when it is not a valid step."""
    model = _MODELS.get(str(raw.get("type"))) if isinstance(raw, dict) else None
    if model is None:
        raise ValueError("unknown step type")
    return model.model_validate(raw)


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
        if raw.get("type") not in STEP_TYPES:
            raise _refuse(
                index,
                step_id,
                f"unknown step type {raw.get('type')!r} (known: {', '.join(STEP_TYPES)})",
            )
        try:
            step = parse_step(raw)
        except ValidationError as exc:
            detail = validation_message(exc).removeprefix("invalid request body: ")
            raise _refuse(index, step_id, detail) from None
        if step.id in seen:
            raise _refuse(index, step.id, "duplicate step id")
        _check_step(index, step, seen)
        seen.append(step.id)
    return steps


def _check_step(index: int, step: AnyStep, earlier: list[str]) -> None:
    if isinstance(step, AgentStep):
        agent = get_agent(step.agent_id)
        if agent is None:
            known = ", ".join(sorted(agents())) or "none"
            raise _refuse(index, step.id, f"unknown agent {step.agent_id!r} (known: {known})")
        if step.action not in agent.actions:
            actions = ", ".join(sorted(agent.actions))
            raise _refuse(
                index,
                step.id,
                f"agent {step.agent_id} has no action {step.action!r} (actions: {actions})",
            )
    elif isinstance(step, EmitStep):
        try:
            check_publishable(step.config.event_type)
        except Invalid as exc:
            raise _refuse(index, step.id, exc.message) from None
        if isinstance(step.config.payload, str) and not _is_one_placeholder(step.config.payload):
            raise _refuse(index, step.id, "payload must be an object or one {{placeholder}}")
    elif isinstance(step, ConditionStep):
        try:
            conditions.validate(step.config.conditions)
        except BadRequest as exc:
            raise _refuse(index, step.id, exc.message) from None
        subject = step.config.subject
        if isinstance(subject, str) and not _is_one_placeholder(subject):
            raise _refuse(index, step.id, "subject must be an object or one {{placeholder}}")
    elif isinstance(step, HttpStep) and "{{" not in step.config.url:
        scheme = step.config.url.split(":", 1)[0].lower()
        if scheme not in ("http", "https"):
            raise _refuse(index, step.id, "config.url must be an http or https URL")
    _check_templates(index, step, earlier)


def _is_one_placeholder(text: str) -> bool:
    return templating.PLACEHOLDER.fullmatch(text) is not None


def _check_templates(index: int, step: AnyStep, earlier: list[str]) -> None:
    config = step.config if isinstance(step, AgentStep) else step.config.model_dump()
    for path in templating.placeholders(config):
        try:
            ref = templating.referenced_steps(path)
        except templating.TemplateError as exc:
            raise _refuse(index, step.id, str(exc)) from None
        if ref is not None and ref not in earlier:
            where = "itself" if ref == step.id else f"step {ref!r}"
            raise _refuse(
                index, step.id, f"{{{{{path}}}}} reads {where}, which does not run before it"
            )
