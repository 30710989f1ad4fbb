"""The ``/api/improve/...`` routes: thin handlers over the self-improvement services."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from shared.ids import agent_id
from shared.improve import analysis, experiments, feedback, service, stats
from shared.improve.schemas import (
    AgentStats,
    Analysis,
    Experiment,
    ExperimentIn,
    ExperimentSaved,
    FeedbackIn,
    FeedbackRecorded,
    Improvement,
    ImprovementDecided,
    MetricIn,
    MetricRecorded,
)
from shared.web.router import Ctx, Link, Router

router = Router()
TAG = "improve"


class ImprovementFilter(BaseModel):
    status: Literal["active", "proposed", "rejected", "all"] = "active"


def _agent(ctx: Ctx) -> str:
    return agent_id(ctx.params["agentId"])


@router.route(
    "POST",
    "/api/improve/feedback",
    summary="Rate an agent's output (1..5); emits feedback.received",
    body=FeedbackIn,
    response=FeedbackRecorded,
    status=201,
    tag=TAG,
)
def improve_feedback(ctx: Ctx) -> dict[str, Any]:
    return feedback.record_feedback(ctx.user_id, ctx.body)


@router.route(
    "POST",
    "/api/improve/metric",
    summary="Record a named metric value for an agent",
    body=MetricIn,
    response=MetricRecorded,
    status=201,
    tag=TAG,
)
def improve_metric(ctx: Ctx) -> dict[str, Any]:
    return feedback.record_metric(ctx.user_id, ctx.body)


@router.route(
    "GET",
    "/api/improve/stats/<agentId>",
    summary="Ratings, metrics, run success rate and Evolver figures of an agent",
    response=AgentStats,
    tag=TAG,
)
def improve_stats(ctx: Ctx) -> dict[str, Any]:
    return stats.agent_stats(ctx.user_id, _agent(ctx))


@router.route(
    "GET",
    "/api/improve/analyze/<agentId>",
    summary="Propose improvements from recent low-rated feedback and evolution logs",
    response=Analysis,
    tag=TAG,
    rate_limit="model",
)
def improve_analyze(ctx: Ctx) -> dict[str, Any]:
    return analysis.analyze(ctx.user_id, _agent(ctx))


@router.route(
    "GET",
    "/api/improve/improvements/<agentId>",
    summary="An agent's improvements: the active ones unless ?status= says otherwise",
    query=ImprovementFilter,
    response=list[Improvement],
    tag=TAG,
)
def improve_improvements(ctx: Ctx) -> list[dict[str, Any]]:
    query: ImprovementFilter = ctx.query
    return service.list_improvements(ctx.user_id, _agent(ctx), query.status)


@router.route(
    "POST",
    "/api/improve/improvements/<id>/accept",
    summary="Accept an improvement: the Evolver uses it from now on",
    response=ImprovementDecided,
    tag=TAG,
)
def improve_accept(ctx: Ctx) -> dict[str, Any]:
    return {"success": True, "improvement": service.decide(ctx.user_id, ctx.params["id"], "active")}


@router.route(
    "POST",
    "/api/improve/improvements/<id>/reject",
    summary="Reject an improvement: it is not used and not proposed again",
    response=ImprovementDecided,
    tag=TAG,
)
def improve_reject(ctx: Ctx) -> dict[str, Any]:
    row = service.decide(ctx.user_id, ctx.params["id"], "rejected")
    return {"success": True, "improvement": row}


@router.route(
    "POST",
    "/api/improve/experiment",
    summary="Start an A/B experiment over an agent's Evolver settings or instruction",
    body=ExperimentIn,
    response=ExperimentSaved,
    status=201,
    errors=(409,),
    tag=TAG,
    links=tuple(
        Link(operation, {"id": "$response.body#/experiment/id"})
        for operation in ("improve_experiment_show", "improve_experiment_stop")
    ),
)
def improve_experiment_create(ctx: Ctx) -> dict[str, Any]:
    return {"success": True, "experiment": experiments.create(ctx.user_id, ctx.body)}


@router.route(
    "GET",
    "/api/improve/experiment/<id>",
    summary="An experiment's status and per-variant results with the significance test",
    response=Experiment,
    tag=TAG,
)
def improve_experiment_show(ctx: Ctx) -> dict[str, Any]:
    return experiments.show(ctx.user_id, ctx.params["id"])


@router.route(
    "POST",
    "/api/improve/experiment/<id>/stop",
    summary="Stop a running experiment, keeping its results as they stand",
    response=ExperimentSaved,
    errors=(409,),
    tag=TAG,
)
def improve_experiment_stop(ctx: Ctx) -> dict[str, Any]:
    return {"success": True, "experiment": experiments.stop(ctx.user_id, ctx.params["id"])}
