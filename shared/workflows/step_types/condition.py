"""The ``condition`` step: ``conditions`` (``shared.conditions``) tested against
``subject``; when it does not hold, the engine skips the steps after it."""

from __future__ import annotations

from typing import Any, Literal

from shared import conditions
from shared.workflows.errors import StepFailed
from shared.workflows.step_types.base import (
    ConfigModel,
    Refuse,
    RunContext,
    StepModel,
    StepType,
    TemplateText,
    checked,
    is_one_placeholder,
)
from shared.workflows.templating import render


class ConditionConfig(ConfigModel):
    subject: dict[str, Any] | TemplateText | None = None
    conditions: dict[str, Any]


class ConditionStep(StepModel):
    type: Literal["condition"]
    config: ConditionConfig


class ConditionType(StepType[ConditionStep]):
    name = "condition"
    model = ConditionStep
    pure = True

    def check(self, step: ConditionStep, refuse: Refuse) -> None:
        checked(refuse, conditions.validate, step.config.conditions)
        subject = step.config.subject
        if isinstance(subject, str) and not is_one_placeholder(subject):
            raise refuse("subject must be an object or one {{placeholder}}")

    def gate(self, output: Any) -> bool | None:
        return bool(output["matched"])

    def execute(
        self, step: ConditionStep, scope: dict[str, Any], ctx: RunContext, record: dict[str, Any]
    ) -> Any:
        cfg = step.config
        subject = scope if cfg.subject is None else render(cfg.subject, scope)
        shown = "{trigger, input, steps}" if cfg.subject is None else subject
        record["input"] = {"subject": shown, "conditions": cfg.conditions}
        if subject is None:
            subject = {}
        if not isinstance(subject, dict):
            raise StepFailed(f"subject rendered to {type(subject).__name__}, not an object")
        return {"matched": conditions.matches(cfg.conditions, subject)}


TYPE = ConditionType()
