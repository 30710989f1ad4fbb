"""The ``/api/scheduler/...`` routes of docs/concepts/schedules.md: thin handlers over the
task service. Another user's task, and a malformed id, are 404 on every route."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from shared.errors import NotFound
from shared.scheduler import tasks
from shared.scheduler.fire import fire_now
from shared.scheduler.schemas import (
    Fired,
    Task,
    TaskBody,
    TaskChanges,
    TaskDeleted,
    TaskRun,
    TaskSaved,
    Upcoming,
)
from shared.scheduler.upcoming import MAX_COUNT, upcoming
from shared.web.router import Ctx, Link, Router

router = Router()
TAG = "scheduler"
MAX_RUNS = 500


TASK_LINKS = tuple(
    Link(operation, {"id": "$response.body#/task/id"})
    for operation in (
        "update_task",
        "pause_task",
        "resume_task",
        "task_runs",
        "task_upcoming",
        "task_fire",
        "delete_task",
    )
)


class RunsPage(BaseModel):
    limit: int = Field(50, ge=1, le=MAX_RUNS)


class UpcomingQuery(BaseModel):
    count: int = Field(5, ge=1, le=MAX_COUNT)


@router.route(
    "POST",
    "/api/scheduler/tasks",
    summary="Schedule a workflow with a 5-field cron expression in an IANA time zone",
    body=TaskBody,
    response=TaskSaved,
    status=201,
    errors=(404, 409),  # 409 past MAX_SCHEDULED_TASKS_PER_USER
    tag=TAG,
    links=TASK_LINKS,
)
def create_task(ctx: Ctx) -> tuple[dict[str, Any], int]:
    return tasks.create(ctx.user_id, ctx.body), 201


@router.route(
    "GET",
    "/api/scheduler/tasks",
    summary="List the user's scheduled tasks",
    response=list[Task],
    tag=TAG,
)
def list_tasks(ctx: Ctx) -> list[dict[str, Any]]:
    return tasks.list_for(ctx.user_id)


@router.route(
    "PUT",
    "/api/scheduler/<id>",
    summary="Change a task's name, cron expression, time zone, workflow or policies",
    body=TaskChanges,
    response=TaskSaved,
    errors=(400, 404),
    tag=TAG,
)
def update_task(ctx: Ctx) -> dict[str, Any]:
    return tasks.update(ctx.user_id, ctx.params["id"], ctx.body)


@router.route(
    "POST",
    "/api/scheduler/<id>/pause",
    summary="Pause a task: it does not fire until resumed",
    response=TaskSaved,
    errors=(404,),
    tag=TAG,
)
def pause_task(ctx: Ctx) -> dict[str, Any]:
    return tasks.set_active(ctx.user_id, ctx.params["id"], False)


@router.route(
    "POST",
    "/api/scheduler/<id>/resume",
    summary="Resume a paused task from its next slot (missed slots are not run)",
    response=TaskSaved,
    errors=(404,),
    tag=TAG,
)
def resume_task(ctx: Ctx) -> dict[str, Any]:
    return tasks.set_active(ctx.user_id, ctx.params["id"], True)


@router.route(
    "DELETE",
    "/api/scheduler/<id>",
    summary="Delete a task and its Cloud Scheduler job",
    response=TaskDeleted,
    errors=(404,),
    tag=TAG,
)
def delete_task(ctx: Ctx) -> dict[str, Any]:
    return tasks.delete(ctx.user_id, ctx.params["id"])


@router.route(
    "GET",
    "/api/scheduler/<id>/runs",
    summary="A task's fire history, newest first: fired, skipped, missed, failed",
    query=RunsPage,
    response=list[TaskRun],
    errors=(404,),
    tag=TAG,
)
def task_runs(ctx: Ctx) -> list[dict[str, Any]]:
    query: RunsPage = ctx.query
    return tasks.runs(ctx.user_id, ctx.params["id"], query.limit)


@router.route(
    "GET",
    "/api/scheduler/<id>/upcoming",
    summary="A task's cron in words and its next fire times (UTC)",
    query=UpcomingQuery,
    response=Upcoming,
    errors=(404,),
    tag=TAG,
)
def task_upcoming(ctx: Ctx) -> dict[str, Any]:
    query: UpcomingQuery = ctx.query
    return upcoming(ctx.user_id, ctx.params["id"], query.count)


@router.route(
    "POST",
    "/api/scheduler/<id>/fire",
    summary="Fire a task now, outside its schedule; the fire is in its history as forced",
    response=Fired,
    errors=(404,),
    tag=TAG,
)
def task_fire(ctx: Ctx) -> dict[str, Any]:
    outcome = fire_now(ctx.user_id, ctx.params["id"])
    if outcome["status"] == "ignored":  # deleted since it was read
        raise NotFound("task not found")
    return {"success": outcome["status"] == "fired", "fire": outcome}
