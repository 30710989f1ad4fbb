"""The event routes of design.md §4: triggers (create under both paths, list, delete),
publishing an event of the user's own, and the event log. Another user's trigger, or a
malformed id, is 404."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.errors import Invalid
from shared.events import log, outbox, triggers
from shared.events.handlers import check_publishable
from shared.ids import object_id
from shared.web.router import Ctx, Router

router = Router()
TAG = "events"

_TIME = {"type": ["string", "null"], "format": "date-time"}
TRIGGER = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "user_id": {"type": "string"},
        "event_type": {"type": "string"},
        "workflow_id": {"type": "string", "format": "uuid"},
        "name": {"type": ["string", "null"]},
        "conditions": {"type": "object"},
        "is_active": {"type": "boolean"},
        "triggered_count": {"type": "integer"},
        "last_triggered_at": _TIME,
        "created_at": _TIME,
    },
}
RUN = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "workflow_id": {"type": "string", "format": "uuid"},
        "trigger_type": {"type": "string"},
        "status": {"type": "string"},
        "error": {"type": ["string", "null"]},
        "started_at": _TIME,
        "finished_at": _TIME,
    },
}
EVENT = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "event_type": {"type": "string"},
        "event_data": {"type": "object"},
        "depth": {"type": "integer"},
        "occurred_at": _TIME,
        "published_at": _TIME,
        "publish_attempts": {"type": "integer"},
        "publish_error": {
            "type": ["string", "null"],
            "description": "why the event can never be published (it was set aside)",
        },
        "dispatch_status": {
            "type": "string",
            "enum": ["pending", "dispatching", "dispatched", "rejected", "too_deep"],
        },
        "dispatched_at": _TIME,
        "triggered": {"type": "array", "items": {"type": "object"}},
        "detail": {"type": ["string", "null"]},
        "created_at": _TIME,
        "runs": {"type": "array", "items": RUN},
    },
}
SUCCESS = {"type": "object", "properties": {"success": {"type": "boolean"}}}


class TriggerBody(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    event_type: str = Field(
        alias="eventType", min_length=1, max_length=100, pattern=outbox.EVENT_TYPE.pattern
    )
    workflow_id: str = Field(alias="workflowId", min_length=1, max_length=100)
    conditions: Any = None
    name: str | None = Field(None, max_length=200)


class EventBody(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    event_type: str = Field(
        alias="eventType", min_length=1, max_length=100, pattern=outbox.EVENT_TYPE.pattern
    )
    payload: dict[str, Any] | None = None


def _uuid(value: str, what: str) -> str:
    return object_id(value, what)


def _create(ctx: Ctx) -> tuple[dict[str, Any], int]:
    body: TriggerBody = ctx.body
    trigger = triggers.create(
        ctx.user_id,
        body.event_type,
        _uuid(body.workflow_id, "workflow"),
        body.conditions,
        body.name,
    )
    return {"success": True, "trigger": trigger}, 201


_CREATED = {
    "type": "object",
    "properties": {"success": {"type": "boolean"}, "trigger": TRIGGER},
}

router.route(
    "POST",
    "/api/events/triggers",
    summary="Create an event trigger: run a workflow when a matching event happens",
    body=TriggerBody,
    response=_CREATED,
    status=201,
    errors=(400, 404),
    tag=TAG,
)(_create)
router.route(
    "POST",
    "/api/events/trigger/create",
    summary="Create an event trigger (the seed's path)",
    body=TriggerBody,
    response=_CREATED,
    status=201,
    errors=(400, 404),
    tag=TAG,
)(_create)


@router.route(
    "GET",
    "/api/events/triggers",
    summary="List the user's event triggers",
    response={"type": "array", "items": TRIGGER},
    tag=TAG,
)
def list_triggers(ctx: Ctx) -> list[dict[str, Any]]:
    return triggers.list_for(ctx.user_id)


@router.route(
    "DELETE",
    "/api/events/triggers/<trigger_id>",
    summary="Delete an event trigger",
    response=SUCCESS,
    errors=(404,),
    tag=TAG,
)
def delete_trigger(ctx: Ctx) -> dict[str, Any]:
    triggers.delete(ctx.user_id, _uuid(ctx.params["trigger_id"], "trigger"))
    return {"success": True}


@router.route(
    "POST",
    "/api/events",
    summary="Publish an event of the user's own; its triggers run after it is delivered",
    body=EventBody,
    response={
        "type": "object",
        "properties": {"success": {"type": "boolean"}, "eventId": {"type": "string"}},
    },
    status=202,
    tag=TAG,
)
def publish_event(ctx: Ctx) -> dict[str, Any]:
    body: EventBody = ctx.body
    event_id = log.emit(ctx.user_id, check_publishable(body.event_type), body.payload)
    return {"success": True, "eventId": event_id}


@router.route(
    "GET",
    "/api/events/log",
    summary="The user's events, newest first, with the workflow runs each one started",
    response={"type": "array", "items": EVENT},
    query={
        "eventType": {
            "type": "string",
            "maxLength": 100,
            "pattern": "^(" + outbox.EVENT_TYPE.pattern.strip("^$") + ")?$",
            "description": "only events of this type (empty: all)",
        },
        "limit": {"type": "integer", "minimum": 1, "maximum": log.MAX_LIMIT, "default": 50},
    },
    tag=TAG,
)
def event_log(ctx: Ctx) -> list[dict[str, Any]]:
    event_type = ctx.query.get("eventType") or None
    if event_type is not None:
        outbox.check_type(event_type)
    raw = ctx.query.get("limit", "50")
    try:
        limit = int(raw)
    except ValueError:
        raise Invalid("limit must be an integer from 1 to 200", status=400) from None
    if not 1 <= limit <= log.MAX_LIMIT:
        raise Invalid(f"limit must be from 1 to {log.MAX_LIMIT}", status=400)
    return log.events_of(ctx.user_id, event_type, limit)
