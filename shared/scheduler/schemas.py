"""Request bodies of the scheduler routes and the models of their answers.

``cronExpression`` and ``timezone`` are typed loosely here on purpose: the service
checks them, so a malformed cron (of any JSON type) gets the contract's exact
``400 {"success": false, "error": "Invalid cron expression"}``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from shared.web.shapes import NO_NUL, ResponseModel, TimeText, optional_key
from shared.workflows.runs import RunStatus

MAX_NAME = 200
MAX_CATCHUP_SECONDS = 24 * 3600

_CRON: JsonDict = {
    "type": "string",
    "maxLength": 200,
    "pattern": NO_NUL,
    "examples": ["0 9 * * 1-5"],
    "description": "5-field unix-cron",
}
_ZONE: JsonDict = {
    "type": "string",
    "maxLength": 100,
    "pattern": NO_NUL,
    "examples": ["Europe/Berlin"],
    "description": "IANA time zone",
}


class TaskBody(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    name: str = Field(min_length=1, max_length=MAX_NAME)
    workflow_id: str = Field(alias="workflowId", min_length=1, max_length=100)
    cron_expression: Any = Field(alias="cronExpression", json_schema_extra=_CRON)
    timezone: Any = Field("UTC", json_schema_extra=_ZONE)
    overlap_policy: Literal["skip", "allow"] = Field("skip", alias="overlapPolicy")
    catchup_window_seconds: int = Field(
        600, alias="catchupWindowSeconds", ge=0, le=MAX_CATCHUP_SECONDS
    )


class TaskChanges(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    name: str | None = Field(None, min_length=1, max_length=MAX_NAME)
    workflow_id: str | None = Field(None, alias="workflowId", min_length=1, max_length=100)
    cron_expression: Any = Field(None, alias="cronExpression", json_schema_extra=_CRON)
    timezone: Any = Field(None, json_schema_extra=_ZONE)
    overlap_policy: Literal["skip", "allow"] | None = Field(None, alias="overlapPolicy")
    catchup_window_seconds: int | None = Field(
        None, alias="catchupWindowSeconds", ge=0, le=MAX_CATCHUP_SECONDS
    )


# The answers, as response models (``shared.web.shapes``).

Mirror = Annotated[
    Literal["off", "in_sync", "out_of_sync", "unchanged"],
    Field(
        description="whether Cloud Scheduler was updated; out_of_sync is repaired by the "
        "next reconcile"
    ),
]


class Task(ResponseModel):
    id: UUID
    user_id: str
    workflow_id: UUID
    name: str
    cron_expression: str
    timezone: str
    is_active: bool
    overlap_policy: Literal["skip", "allow"]
    catchup_window_seconds: int
    run_count: int
    last_run_at: datetime | None
    last_slot_at: datetime | None
    next_run_at: datetime | None = Field(description="null while paused")
    mirror_state: Literal["pending", "in_sync", "out_of_sync"]
    created_at: datetime
    updated_at: datetime


class TaskSaved(ResponseModel):
    success: bool
    task: Task
    mirror: Mirror


class TaskDeleted(ResponseModel):
    success: bool
    mirror: Mirror


class TaskRun(ResponseModel):
    """One fire of a task, or a slot it skipped or missed."""

    id: UUID
    task_id: UUID
    fire_key: str
    slot_at: datetime | None
    status: Literal["running", "fired", "skipped", "missed", "failed"]
    source: Literal["scheduler", "tick", "catchup", "forced"]
    workflow_run_id: UUID | None
    detail: str | None
    created_at: datetime
    finished_at: datetime | None


class Upcoming(ResponseModel):
    taskId: UUID
    cronExpression: str
    timezone: str
    description: str = Field(
        description="the cron in words, then the time zone",
        examples=["At 09:00, only on Monday, America/New_York"],
    )
    isActive: bool = Field(description="paused: the slots once resumed")
    nextFires: list[TimeText]


class Fire(ResponseModel):
    """What became of a fire."""

    taskId: UUID
    fireKey: str
    status: Literal["fired", "skipped", "failed", "duplicate"]
    reason: str = optional_key("why it was skipped")
    error: str = optional_key("why it failed")
    previous: str = optional_key("a duplicate: what the earlier fire of the key became")
    workflowRunId: UUID | None = optional_key()
    runStatus: RunStatus = optional_key("the run's status as the fire answered")


class Fired(ResponseModel):
    success: bool = Field(description="whether the workflow was started")
    fire: Fire
