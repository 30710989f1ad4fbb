"""The goal routes of the ``api`` function (docs/concepts/goals.md)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from shared.goals import decompose, generation, service
from shared.goals.lifecycle import Status
from shared.goals.schemas import Generated, Goal, GoalSaved, Subtasks
from shared.web.router import Ctx, Link, Router

router = Router()


class GoalFilter(BaseModel):
    status: Status | SkipJsonSchema[None] = None


class CreateGoal(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200, pattern=r"\S")
    description: str | None = Field(None, max_length=2000)
    priority: int = Field(5, ge=1, le=10)


class UpdateGoal(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    status: Status | None = None
    title: str | None = Field(None, min_length=1, max_length=200, pattern=r"\S")
    description: str | None = Field(None, max_length=2000)
    priority: int | None = Field(None, ge=1, le=10)


class AutoGenerate(BaseModel):
    force: bool = Field(
        False, description="run even though goals were generated today (cap and dedupe hold)"
    )


@router.route(
    "POST",
    "/api/reasoning/goal",
    summary="Create a goal",
    body=CreateGoal,
    response=GoalSaved,
    status=201,
    tag="goals",
    links=tuple(
        Link(operation, {"goalId": "$response.body#/goal/id"})
        for operation in ("update", "decompose_goal")
    ),
)
def create(ctx: Ctx) -> dict[str, Any]:
    body: CreateGoal = ctx.body
    goal = service.create_goal(
        ctx.user_id,
        service.NewGoal(title=body.title, description=body.description, priority=body.priority),
    )
    return {"success": True, "goal": goal}


@router.route(
    "GET",
    "/api/reasoning/goals",
    summary="List goals, optionally by status",
    response=list[Goal],
    query=GoalFilter,
    tag="goals",
)
def list_goals(ctx: Ctx) -> list[dict[str, Any]]:
    query: GoalFilter = ctx.query
    return service.list_goals(ctx.user_id, query.status)


@router.route(
    "PUT",
    "/api/reasoning/goal/<goalId>",
    summary="Change a goal's status, title, description or priority",
    body=UpdateGoal,
    response=GoalSaved,
    errors=(409,),
    tag="goals",
)
def update(ctx: Ctx) -> dict[str, Any]:
    body: UpdateGoal = ctx.body
    goal = service.update_goal(
        ctx.user_id, ctx.params["goalId"], body.model_dump(exclude_unset=True)
    )
    return {"success": True, "goal": goal}


@router.route(
    "POST",
    "/api/reasoning/goal/<goalId>/decompose",
    summary="Break a goal into 2-7 sub-goals (once; later calls return them)",
    response=Subtasks,
    errors=(409, 429),
    tag="goals",
    rate_limit="model",
)
def decompose_goal(ctx: Ctx) -> dict[str, Any]:
    return {"success": True, "subtasks": decompose.decompose(ctx.user_id, ctx.params["goalId"])}


@router.route(
    "POST",
    "/api/goals/auto-generate",
    summary="Suggest and create goals from the last 7 days of activity (once a day)",
    body=AutoGenerate,
    response=Generated,
    tag="goals",
    rate_limit="model",
)
def auto_generate(ctx: Ctx) -> dict[str, Any]:
    body: AutoGenerate = ctx.body
    return generation.auto_generate(ctx.user_id, force=body.force).as_json()
