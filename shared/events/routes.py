"""The event routes of docs/concepts/events.md: triggers (create under both paths, list, delete),
publishing an event of the user's own, and the event log. Another user's trigger, or a
malformed id, is 404."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool
from pydantic.json_schema import SkipJsonSchema

from shared.events import log, outbox, triggers
from shared.events.handlers import check_publishable
from shared.events.schemas import EventPublished, EventRow, Trigger, TriggerSaved
from shared.ids import object_id
from shared.web.router import Ctx, Link, Router
from shared.web.shapes import Success

router = Router()
TAG = "events"

_RECURSION = (
    "run the workflow even on an event one of its own runs led to (until "
    "EVENT_MAX_DEPTH); otherwise such a trigger is recorded as `cycle`"
)


class TriggerBody(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    event_type: str = Field(
        alias="eventType", min_length=1, max_length=100, pattern=outbox.EVENT_TYPE.pattern
    )
    workflow_id: str = Field(alias="workflowId", min_length=1, max_length=100)
    conditions: Any = None
    name: str | None = Field(None, max_length=200)
    allow_recursion: StrictBool = Field(False, alias="allowRecursion", description=_RECURSION)


class TriggerChanges(BaseModel):
    """What a trigger's owner may change; its event type and workflow stay (naming
    them is refused)."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    name: str | None = Field(None, max_length=200)
    conditions: dict[str, Any] | None = None
    is_active: StrictBool | None = Field(None, alias="isActive")
    allow_recursion: StrictBool | None = Field(None, alias="allowRecursion", description=_RECURSION)


class EventFilter(BaseModel):
    event_type: (
        Annotated[str, Field(max_length=100, pattern=outbox.EVENT_TYPE.pattern)]
        | SkipJsonSchema[None]
    ) = Field(None, alias="eventType", description="only events of this type")
    limit: int = Field(50, ge=1, le=log.MAX_LIMIT)


class EventBody(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    event_type: str = Field(
        alias="eventType", min_length=1, max_length=100, pattern=outbox.EVENT_TYPE.pattern
    )
    payload: dict[str, Any] | None = None


TRIGGER_LINKS = tuple(
    Link(operation, {"trigger_id": "$response.body#/trigger/id"})
    for operation in ("update_trigger", "delete_trigger")
)


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
        body.allow_recursion,
    )
    return {"success": True, "trigger": trigger}, 201


@router.route(
    "POST",
    "/api/events/triggers",
    summary="Create an event trigger: run a workflow when a matching event happens",
    body=TriggerBody,
    response=TriggerSaved,
    status=201,
    errors=(404, 409),  # 409 past MAX_TRIGGERS_PER_USER
    tag=TAG,
    links=TRIGGER_LINKS,
)
def create_trigger(ctx: Ctx) -> tuple[dict[str, Any], int]:
    return _create(ctx)


@router.route(
    "POST",
    "/api/events/trigger/create",
    summary="Create an event trigger (the seed's path)",
    body=TriggerBody,
    response=TriggerSaved,
    status=201,
    errors=(404, 409),  # 409 past MAX_TRIGGERS_PER_USER
    tag=TAG,
    links=TRIGGER_LINKS,
)
def create_trigger_seed_path(ctx: Ctx) -> tuple[dict[str, Any], int]:
    """The same operation under the path the seed used (an operation id of its own)."""
    return _create(ctx)


@router.route(
    "GET",
    "/api/events/triggers",
    summary="List the user's event triggers",
    response=list[Trigger],
    tag=TAG,
)
def list_triggers(ctx: Ctx) -> list[dict[str, Any]]:
    return triggers.list_for(ctx.user_id)


@router.route(
    "PUT",
    "/api/events/triggers/<trigger_id>",
    summary="Change a trigger's name, conditions, whether it is active or allows recursion",
    body=TriggerChanges,
    response=TriggerSaved,
    errors=(400, 404),  # 400: conditions with an unknown operator or a mistyped operand
    tag=TAG,
)
def update_trigger(ctx: Ctx) -> dict[str, Any]:
    changes: TriggerChanges = ctx.body
    given = {name: getattr(changes, name) for name in changes.model_fields_set}
    trigger = triggers.update(ctx.user_id, _uuid(ctx.params["trigger_id"], "trigger"), given)
    return {"success": True, "trigger": trigger}


@router.route(
    "DELETE",
    "/api/events/triggers/<trigger_id>",
    summary="Delete an event trigger",
    response=Success,
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
    response=EventPublished,
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
    response=list[EventRow],
    query=EventFilter,
    tag=TAG,
)
def event_log(ctx: Ctx) -> list[dict[str, Any]]:
    query: EventFilter = ctx.query
    return log.events_of(ctx.user_id, query.event_type, query.limit)
