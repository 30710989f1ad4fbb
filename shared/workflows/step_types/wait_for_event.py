"""The ``waitForEvent`` step: the run waits, holding no lease and no process, until an
event of its own user with ``eventType`` whose payload matches ``conditions`` (the
trigger condition language) is dispatched, or until ``timeoutSeconds`` have passed
(default a day, at most 30 days). Its output is the event's envelope as dispatch sees
it; on a timeout, ``null`` with ``onTimeout: continue`` (the default), or the step
fails with ``onTimeout: fail``. Condition values may be templates, rendered when the
wait begins; the set must be valid as written. ``shared.workflows.waits`` keeps the
wait and ends it once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field

from shared import clock, conditions
from shared.errors import Invalid
from shared.events.outbox import check_type
from shared.workflows.errors import StepFailed, StepWaits
from shared.workflows.step_types.base import (
    ConfigModel,
    EventTypeText,
    Refuse,
    RunContext,
    StepModel,
    StepType,
    checked,
)
from shared.workflows.templating import render

MAX_WAIT = timedelta(days=30)
DEFAULT_TIMEOUT_SECONDS = 86_400


class WaitConfig(ConfigModel):
    event_type: EventTypeText = Field(alias="eventType")
    conditions: dict[str, Any] = Field(default_factory=dict)
    timeout_seconds: int = Field(
        DEFAULT_TIMEOUT_SECONDS, alias="timeoutSeconds", ge=1, le=MAX_WAIT.total_seconds()
    )
    on_timeout: Literal["continue", "fail"] = Field("continue", alias="onTimeout")


class WaitStep(StepModel):
    type: Literal["waitForEvent"]
    config: WaitConfig


class WaitType(StepType[WaitStep]):
    name = "waitForEvent"
    model = WaitStep

    def check(self, step: WaitStep, refuse: Refuse) -> None:
        checked(refuse, check_type, step.config.event_type)
        checked(refuse, conditions.validate, step.config.conditions)

    def execute(
        self, step: WaitStep, scope: dict[str, Any], ctx: RunContext, record: dict[str, Any]
    ) -> Any:
        cfg = step.config
        rendered = render(cfg.conditions, scope)
        record["input"] = {
            "eventType": cfg.event_type,
            "conditions": rendered,
            "timeoutSeconds": cfg.timeout_seconds,
            "onTimeout": cfg.on_timeout,
        }
        try:
            conditions.validate(rendered)
        except Invalid as exc:
            raise StepFailed(f"conditions did not render to valid ones: {exc.message}") from None
        until = clock.now() + timedelta(seconds=cfg.timeout_seconds)
        raise StepWaits(until, {"eventType": cfg.event_type, "conditions": rendered})


def ended(waiting: dict[str, Any], event: dict[str, Any] | None) -> dict[str, Any]:
    """The waiting step's record once its wait is over: ``event`` came, or (None) the
    wait timed out, and the step goes on or fails as its ``onTimeout`` says."""
    given = waiting.get("input") or {}
    began = datetime.fromisoformat(waiting["startedAt"])
    waited = round((clock.now() - began).total_seconds() * 1000, 1)
    record = {k: v for k, v in waiting.items() if k != "waitingFor"} | {"durationMs": waited}
    if event is not None:
        return record | {"status": "succeeded", "output": event}
    if given.get("onTimeout") == "fail":
        return record | {
            "status": "failed",
            "output": None,
            "error": f"no {given.get('eventType')} event matched within "
            f"{given.get('timeoutSeconds')} s",
        }
    return record | {"status": "succeeded", "output": None}


TYPE = WaitType()
