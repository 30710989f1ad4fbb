"""Request bodies of the scheduler routes and JSON schemas of their responses.

``cronExpression`` and ``timezone`` are typed loosely here on purpose: the service
checks them, so a malformed cron (of any JSON type) gets the contract's exact
``400 {"success": false, "error": "Invalid cron expression"}``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

Schema = dict[str, Any]

MAX_NAME = 200
MAX_CATCHUP_SECONDS = 24 * 3600

_CRON: JsonDict = {
    "type": "string",
    "maxLength": 200,
    "examples": ["0 9 * * 1-5"],
    "description": "5-field unix-cron",
}
_ZONE: JsonDict = {
    "type": "string",
    "maxLength": 100,
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


_TIME = {"type": "string", "format": "date-time"}
_OPT_TIME = {"type": ["string", "null"], "format": "date-time"}
_UUID = {"type": "string", "format": "uuid"}

TASK: Schema = {
    "type": "object",
    "properties": {
        "id": _UUID,
        "user_id": {"type": "string"},
        "workflow_id": _UUID,
        "name": {"type": "string"},
        "cron_expression": {"type": "string"},
        "timezone": {"type": "string"},
        "is_active": {"type": "boolean"},
        "overlap_policy": {"type": "string", "enum": ["skip", "allow"]},
        "catchup_window_seconds": {"type": "integer"},
        "run_count": {"type": "integer"},
        "last_run_at": _OPT_TIME,
        "last_slot_at": _OPT_TIME,
        "next_run_at": {**_OPT_TIME, "description": "null while paused"},
        "mirror_state": {"type": "string", "enum": ["pending", "in_sync", "out_of_sync"]},
        "created_at": _TIME,
        "updated_at": _TIME,
    },
    "required": ["id", "workflow_id", "name", "cron_expression", "timezone", "is_active"],
}

TASK_RUN: Schema = {
    "type": "object",
    "properties": {
        "id": _UUID,
        "task_id": _UUID,
        "fire_key": {"type": "string"},
        "slot_at": _OPT_TIME,
        "status": {
            "type": "string",
            "enum": ["running", "fired", "skipped", "missed", "failed"],
        },
        "source": {"type": "string", "enum": ["scheduler", "tick", "catchup", "forced"]},
        "workflow_run_id": {"type": ["string", "null"], "format": "uuid"},
        "detail": {"type": ["string", "null"]},
        "created_at": _TIME,
        "finished_at": _OPT_TIME,
    },
    "required": ["id", "task_id", "fire_key", "status"],
}

MIRROR = {
    "type": "string",
    "enum": ["off", "in_sync", "out_of_sync", "unchanged"],
    "description": "whether Cloud Scheduler was updated; out_of_sync is repaired by the next reconcile",
}


def task_envelope() -> Schema:
    return {
        "type": "object",
        "properties": {"success": {"type": "boolean"}, "task": TASK, "mirror": MIRROR},
        "required": ["success", "task"],
    }


UPCOMING: Schema = {
    "type": "object",
    "properties": {
        "taskId": _UUID,
        "cronExpression": {"type": "string"},
        "timezone": {"type": "string"},
        "description": {
            "type": "string",
            "description": "the cron in words, then the time zone",
            "examples": ["At 09:00, only on Monday, America/New_York"],
        },
        "isActive": {"type": "boolean", "description": "paused: the slots once resumed"},
        "nextFires": {"type": "array", "items": _TIME},
    },
    "required": ["taskId", "cronExpression", "timezone", "description", "isActive", "nextFires"],
}

FIRED: Schema = {
    "type": "object",
    "properties": {
        "success": {"type": "boolean", "description": "whether the workflow was started"},
        "fire": {
            "type": "object",
            "properties": {
                "taskId": _UUID,
                "fireKey": {"type": "string"},
                "status": {"type": "string", "examples": ["fired", "skipped", "failed"]},
                "reason": {"type": "string", "description": "why it was skipped"},
                "error": {"type": "string", "description": "why it failed"},
                "workflowRunId": {"type": ["string", "null"], "format": "uuid"},
                "runStatus": {"type": "string"},
            },
            "required": ["taskId", "fireKey", "status"],
        },
    },
    "required": ["success", "fire"],
}

DELETED: Schema = {
    "type": "object",
    "properties": {"success": {"type": "boolean"}, "mirror": MIRROR},
    "required": ["success"],
}
