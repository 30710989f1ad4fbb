"""The ``sleep`` step: the run sleeps for ``seconds`` or until ``until`` (RFC 3339, or
one template that renders to such a time), at most ``MAX_SLEEP`` ahead, holding no
process; the per-minute job wakes it. Its wake time is fixed when the step first
runs and kept in its record, so a woken run does not sleep again."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from shared import clock
from shared.clock import as_utc
from shared.workflows.errors import StepFailed, StepWaits
from shared.workflows.step_types.base import (
    ConfigModel,
    Refuse,
    RunContext,
    StepModel,
    StepType,
    is_one_placeholder,
)
from shared.workflows.templating import render

MAX_SLEEP = timedelta(days=30)


class SleepConfig(ConfigModel):
    # exactly one of the two, stated for the document as the validator below checks it
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["seconds"], "properties": {"seconds": {"type": "number"}}},
                {
                    "required": ["until"],
                    "properties": {"until": {"type": "string", "maxLength": 200}},
                },
            ]
        }
    )

    seconds: float | None = Field(None, gt=0, le=MAX_SLEEP.total_seconds())
    until: str | None = Field(None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _one_of(self) -> SleepConfig:
        if (self.seconds is None) == (self.until is None):
            raise ValueError("config needs exactly one of seconds or until")
        return self


class SleepStep(StepModel):
    type: Literal["sleep"]
    config: SleepConfig


def parse_time(text: Any) -> datetime | None:
    """An RFC 3339 time with its offset, or None."""
    if not isinstance(text, str):
        return None
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return as_utc(parsed) if parsed.tzinfo is not None else None


def _too_far(until: datetime) -> bool:
    return until > clock.now() + MAX_SLEEP


class SleepType(StepType[SleepStep]):
    name = "sleep"
    model = SleepStep

    def check(self, step: SleepStep, refuse: Refuse) -> None:
        until = step.config.until
        if until is None or "{{" in until:
            if until is not None and not is_one_placeholder(until):
                raise refuse("config.until must be an RFC 3339 time or one {{placeholder}}")
            return
        at = parse_time(until)
        if at is None:
            raise refuse("config.until must be an RFC 3339 time with its offset")
        if _too_far(at):
            raise refuse(f"config.until is more than {MAX_SLEEP.days} days ahead")

    def execute(
        self, step: SleepStep, scope: dict[str, Any], ctx: RunContext, record: dict[str, Any]
    ) -> Any:
        fixed = record.get("input")
        until = parse_time(fixed.get("until")) if isinstance(fixed, dict) else None
        if until is None:
            until = self._wake_time(step, scope)
            record["input"] = {"until": until.isoformat()}
        if clock.now() < until:
            raise StepWaits(until)
        return {"sleptUntil": until.isoformat()}

    def _wake_time(self, step: SleepStep, scope: dict[str, Any]) -> datetime:
        if step.config.seconds is not None:
            return clock.now() + timedelta(seconds=step.config.seconds)
        rendered = render(step.config.until, scope)
        until = parse_time(rendered)
        if until is None:
            raise StepFailed(f"until rendered to {rendered!r}, not an RFC 3339 time")
        if _too_far(until):
            raise StepFailed(f"until {until.isoformat()} is more than {MAX_SLEEP.days} days ahead")
        return until


TYPE = SleepType()
