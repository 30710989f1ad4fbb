"""The answers of the workflow routes, as response models (``shared.web.shapes``): a
run is one model wherever it appears (a run's page, a workflow's recent runs, the
answer of run, cancel and retry)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from shared.run_states import RunStatus, TriggerType
from shared.web.shapes import Number, ResponseModel, TimeText, optional_key


class Attempt(ResponseModel):
    """One attempt of a step attempted more than once."""

    startedAt: TimeText | None
    error: str | None
    durationMs: Number | None


class MemberProgress(ResponseModel):
    """A swarm member's progress, as it stands."""

    index: int
    agentId: str
    action: str
    status: Literal["queued", "running", "succeeded", "failed", "timed_out"]
    attempts: int
    error: str | None
    durationMs: Number | None


class WaitingFor(ResponseModel):
    """What a waitForEvent step waits for, while it waits."""

    eventType: str
    conditions: dict[str, Any] = Field(description="as rendered when it began")
    timeoutAt: TimeText = Field(description="when it times out (at most a minute later)")


class WaitingForSlot(ResponseModel):
    """An agent step's wait for a slot of its agent's pool, while the pool is full."""

    agentId: str


class StepResult(ResponseModel):
    """A step's record in its run: written as the step ran, kept as it ended."""

    id: str
    type: str | None = optional_key("the step's type (agent, condition, http, ...)")
    status: Literal["succeeded", "failed", "skipped", "waiting"] = Field(
        description="waiting: for its next attempt or its wake time (a sleeping run), or "
        "for an event (a waiting run; see waitingFor)"
    )
    input: Any = optional_key("what the step was given, rendered (secrets redacted)")
    output: Any = optional_key("what it produced")
    error: str | None = optional_key("why it failed")
    reason: str = optional_key("why a skipped step did not run")
    matched: bool = optional_key("condition steps: whether it held")
    startedAt: TimeText = optional_key()
    durationMs: Number = optional_key()
    attempts: list[Attempt] = optional_key("every attempt of a step attempted more than once")
    nextAttemptAt: TimeText = optional_key("when a waiting step is attempted again")
    members: list[MemberProgress] = optional_key("swarm steps: each member's progress")
    waitingFor: WaitingFor = optional_key()
    waitingForSlot: WaitingForSlot = optional_key(
        "agent steps: the agent whose pool was full, while the step waits for a slot "
        "(woken when one frees; nextAttemptAt is the latest it looks again)"
    )


class Run(ResponseModel):
    """A workflow run with each step's result."""

    id: UUID
    workflow_id: UUID
    user_id: str
    trigger_type: TriggerType
    trigger_data: dict[str, Any] = Field(description="what started it (an event, a webhook's body)")
    input: dict[str, Any]
    status: RunStatus
    step_results: list[StepResult]
    error: str | None
    idempotency_key: str | None
    started_at: datetime
    finished_at: datetime | None
    wake_at: datetime | None = Field(
        description="when a sleeping run is woken (at most a minute later)"
    )


class Webhook(ResponseModel):
    id: UUID
    created_at: datetime
    revoked_at: datetime | None


class Workflow(ResponseModel):
    id: UUID
    user_id: str
    name: str
    description: str | None
    steps: list[dict[str, Any]]
    is_active: bool
    flow_control: dict[str, Any] | None = Field(
        description="concurrency, rateLimit, debounce, priority and their key"
    )
    created_at: datetime
    updated_at: datetime


class WorkflowDetail(Workflow):
    """A workflow with its recent runs and its inbound webhooks."""

    runs: list[Run] = Field(description="the most recent runs, newest first")
    webhooks: list[Webhook]


class WorkflowSaved(ResponseModel):
    success: bool
    workflow: Workflow


class RunPage(ResponseModel):
    runs: list[Run]
    next_cursor: str | None


class RunResult(ResponseModel):
    success: bool = Field(
        description="while it is queued or running, true; once it ended, whether it succeeded"
    )
    run: Run


class NewWebhook(ResponseModel):
    id: UUID
    endpointKey: str = Field(description="shown once")
    url: str


class WebhookCreated(ResponseModel):
    success: bool
    webhook: NewWebhook


class WebhookAccepted(ResponseModel):
    success: bool
    runId: UUID
