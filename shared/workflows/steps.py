"""Executing one step of each type against the run's template scope.

Each executor renders the step's templates, writes what it was given into the step's
record (secrets redacted) before acting, so a failed step shows its input too, does
its one thing, and returns what it produced; a failure is ``StepFailed`` with the
message the run records."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from shared import conditions
from shared.config import get_settings
from shared.db import get_database
from shared.events import outbox
from shared.storable import Unstorable
from shared.workflows.agent_step import run_agent_step
from shared.workflows.definition import AgentStep, ConditionStep, EmitStep, HttpStep
from shared.workflows.errors import StepFailed
from shared.workflows.templating import render

# names the event an emit step records: the same (run, step) always gives the same id
_EMITTED = uuid.UUID("5e6f0001-8c1d-4f8e-9a57-2d0c1b3e7a90")


@dataclass(frozen=True)
class RunContext:
    run_id: str
    workflow_id: str
    user_id: str
    depth: int  # event depth of what started the run
    owner: str = ""  # the executor's lease on the run

    def effect_key(self, step_id: str) -> str:
        """The same on every attempt of one step of one run: what makes its side
        effects idempotent when a resumed run executes the step again."""
        return f"{self.run_id}:{step_id}"


def execute(
    step: AgentStep | HttpStep | EmitStep | ConditionStep,
    scope: dict[str, Any],
    ctx: RunContext,
    record: dict[str, Any],
) -> Any:
    """Run one step; its rendered input goes to ``record["input"]``."""
    if isinstance(step, AgentStep):
        return _agent(step, scope, ctx, record)
    if isinstance(step, HttpStep):
        return _http(step, scope, ctx, record)
    if isinstance(step, EmitStep):
        return _emit(step, scope, ctx, record)
    return _condition(step, scope, record)


def _agent(step: AgentStep, scope: dict[str, Any], ctx: RunContext, record: dict[str, Any]) -> Any:
    payload = render(step.config, scope)
    record["input"] = {"agentId": step.agent_id, "action": step.action, "payload": payload}
    result = run_agent_step(ctx.user_id, step.agent_id, step.action, payload, depth=ctx.depth)
    if not result.success:
        raise StepFailed(result.error or f"{step.agent_id} failed", output=result.output or None)
    return result.output


def _http(step: HttpStep, scope: dict[str, Any], ctx: RunContext, record: dict[str, Any]) -> Any:
    from shared.workflows import http_step  # urllib3: paid by the runs that call out

    cfg = step.config
    url = render(cfg.url, scope)
    if not isinstance(url, str):
        raise StepFailed("url did not render to a string")
    headers = {name: _text(render(value, scope)) for name, value in cfg.headers.items()}
    if not any(name.lower() == "idempotency-key" for name in headers):
        headers["Idempotency-Key"] = ctx.effect_key(step.id)
    body = render(cfg.body, scope)
    record["input"] = {
        "method": cfg.method,
        "url": url,
        "headers": {
            name: "[redacted]" if name.lower() in http_step.SENSITIVE_HEADERS else value
            for name, value in headers.items()
        },
        "body": body,
    }
    return http_step.call(get_settings(), cfg.method, url, headers, body, cfg.timeout_seconds)


def _text(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


def _emit(step: EmitStep, scope: dict[str, Any], ctx: RunContext, record: dict[str, Any]) -> Any:
    payload = render(step.config.payload, scope)
    record["input"] = {"eventType": step.config.event_type, "payload": payload}
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise StepFailed("payload did not render to an object")
    try:
        with get_database().transaction() as tx:
            event_id = outbox.record(
                tx,
                ctx.user_id,
                step.config.event_type,
                payload,
                depth=ctx.depth + 1,
                event_id=str(uuid.uuid5(_EMITTED, ctx.effect_key(step.id))),
            )
    except Unstorable as exc:  # an event no one could deliver: the step fails, saying why
        raise StepFailed(exc.message) from None
    return {"eventId": event_id, "eventType": step.config.event_type}


def _condition(step: ConditionStep, scope: dict[str, Any], record: dict[str, Any]) -> Any:
    cfg = step.config
    subject = scope if cfg.subject is None else render(cfg.subject, scope)
    shown = "{trigger, input, steps}" if cfg.subject is None else subject
    record["input"] = {"subject": shown, "conditions": cfg.conditions}
    if subject is None:
        subject = {}
    if not isinstance(subject, dict):
        raise StepFailed(f"subject rendered to {type(subject).__name__}, not an object")
    return {"matched": conditions.matches(cfg.conditions, subject)}
