"""The ``emit`` step: one event recorded in the outbox in its own transaction
(published after commit), one event deeper than the run, its chain the run's (so a
trigger of this workflow does not run on it). Its id is derived from (run, step), so a
re-executed emit records nothing new."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import Field

from shared.db import get_database
from shared.errors import Invalid
from shared.events import causation, outbox
from shared.events.handlers import check_publishable
from shared.storable import Unstorable
from shared.workflows.errors import StepFailed
from shared.workflows.step_types.base import (
    ConfigModel,
    EventTypeText,
    Refuse,
    RunContext,
    StepModel,
    StepType,
    TemplateText,
    is_one_placeholder,
)
from shared.workflows.templating import render

# names the event an emit step records: the same (run, step) always gives the same id
_EMITTED = uuid.UUID("5e6f0001-8c1d-4f8e-9a57-2d0c1b3e7a90")


class EmitConfig(ConfigModel):
    event_type: EventTypeText = Field(alias="eventType")
    payload: dict[str, Any] | TemplateText = Field(default_factory=dict)


class EmitStep(StepModel):
    type: Literal["emit"]
    config: EmitConfig


class EmitType(StepType[EmitStep]):
    name = "emit"
    model = EmitStep

    def check(self, step: EmitStep, refuse: Refuse) -> None:
        try:
            check_publishable(step.config.event_type)
        except Invalid as exc:
            raise refuse(exc.message) from None
        if isinstance(step.config.payload, str) and not is_one_placeholder(step.config.payload):
            raise refuse("payload must be an object or one {{placeholder}}")

    def execute(
        self, step: EmitStep, scope: dict[str, Any], ctx: RunContext, record: dict[str, Any]
    ) -> Any:
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
                    chain=causation.of_run(tx, ctx.run_id, ctx.user_id),
                )
        except Unstorable as exc:  # an event no one could deliver: the step fails, saying why
            raise StepFailed(exc.message) from None
        return {"eventId": event_id, "eventType": step.config.event_type}


TYPE = EmitType()
