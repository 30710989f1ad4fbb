"""``POST /api/oracle/evolve``, the user's past evolutions and the per-agent Evolver
settings."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from shared.errors import BadRequest, Invalid
from shared.evolver import history, service
from shared.evolver.schemas import (
    EvolutionOut,
    EvolutionPage,
    EvolutionRecord,
    EvolveIn,
    HistoryFilter,
    PrivateEvolveIn,
    SettingsIn,
    SettingsRow,
)
from shared.evolver.settings import settings_for, update_settings
from shared.ids import agent_id
from shared.web.router import Ctx, Router, validation_message

router = Router()
TAG = "evolver"


def _agent(ctx: Ctx) -> str:
    return agent_id(ctx.params["agentId"])


@router.route(
    "POST",
    "/api/oracle/evolve",
    summary="Critique an agent's output and return the best-scoring revision",
    body=EvolveIn,
    response=EvolutionOut,
    tag=TAG,
    rate_limit="model",
)
def oracle_evolve(ctx: Ctx) -> dict[str, Any]:
    body: EvolveIn = ctx.body
    return service.evolve(ctx.user_id, body.agent_id, body.output, body.context)


@router.route(
    "GET",
    "/api/evolver/history",
    summary="The user's past evolutions, newest first, paged by cursor",
    query=HistoryFilter,
    response=EvolutionPage,
    tag=TAG,
)
def evolver_history(ctx: Ctx) -> dict[str, Any]:
    query: HistoryFilter = ctx.query
    return history.page(ctx.user_id, query.agent_id, limit=query.limit, cursor=query.cursor)


@router.route(
    "GET",
    "/api/evolver/history/<evolutionId>",
    summary="One past evolution whole: original, evolved, log, scores, usage, settings",
    response=EvolutionRecord,
    tag=TAG,
)
def evolver_history_get(ctx: Ctx) -> dict[str, Any]:
    return history.get(ctx.user_id, ctx.params["evolutionId"])


@router.route(
    "GET",
    "/api/evolver/settings/<agentId>",
    summary="The user's Evolver settings for an agent (the defaults when never set)",
    response=SettingsRow,
    tag=TAG,
)
def evolver_settings_get(ctx: Ctx) -> dict[str, Any]:
    return settings_for(ctx.user_id, _agent(ctx)).as_row()


@router.route(
    "PUT",
    "/api/evolver/settings/<agentId>",
    summary="Change the user's Evolver settings for an agent; fields not given stay",
    body=SettingsIn,
    response=SettingsRow,
    tag=TAG,
)
def evolver_settings_put(ctx: Ctx) -> dict[str, Any]:
    return update_settings(ctx.user_id, _agent(ctx), ctx.body).as_row()


def private_evolve(body: Any) -> dict[str, Any]:
    """The private ``evolve`` function's body, validated: 400 when it is not a JSON
    object, 422 naming the field when a value is wrong."""
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    try:
        request = PrivateEvolveIn.model_validate(body)
    except ValidationError as exc:
        raise Invalid(validation_message(exc)) from None
    return service.evolve(request.user_id, request.agent_id, request.output, request.context)
