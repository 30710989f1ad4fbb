"""The workflow routes of docs/concepts/runs.md. Another user's workflow, run or webhook is 404,
and so is a malformed id. A run started here is handed to its own execution and
answered 202 while it is queued or running, 200 once it finished (``?wait=S`` waits up
to S seconds for that)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, SkipValidation
from pydantic.json_schema import SkipJsonSchema

from shared.db import Row
from shared.errors import Invalid
from shared.keyset import Cursor
from shared.swarm import members
from shared.web.router import Ctx, Link, Router, read_json
from shared.web.shapes import Success
from shared.workflows import flow, runs, store, webhooks
from shared.workflows.definition import MAX_DESCRIPTION, MAX_NAME, MAX_STEPS, validate_steps
from shared.workflows.engine import execute_workflow, retry, wait
from shared.workflows.schemas import (
    Run,
    RunPage,
    RunResult,
    WebhookAccepted,
    WebhookCreated,
    Workflow,
    WorkflowDetail,
    WorkflowSaved,
)
from shared.workflows.step_types import StepDefinition

router = Router()
TAG = "workflows"
FLOW_CONTROL = (
    'flow control: {"key": "{{trigger.payload.channel}}", "concurrency": N, '
    '"rateLimit": {"limit": N, "periodSeconds": S}, "debounce": {"seconds": S}, "priority": P}'
)


class WorkflowBody(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    name: str = Field(min_length=1, max_length=MAX_NAME)
    description: str | None = Field(None, max_length=MAX_DESCRIPTION)
    # validate_steps checks the steps (naming the step of a mistake); the document
    # states each step type's model and the limit
    steps: SkipValidation[list[StepDefinition]] = Field(
        default_factory=list, json_schema_extra={"maxItems": MAX_STEPS}
    )
    is_active: bool = Field(True, alias="isActive")
    flow_control: dict[str, Any] | None = Field(None, alias="flowControl", description=FLOW_CONTROL)


class WorkflowChanges(BaseModel):
    """Only the fields sent change. ``description: null`` clears it; the others may be
    left out but not null (the document says so: ``SkipJsonSchema``)."""

    model_config = ConfigDict(populate_by_name=True)

    name: Annotated[str, Field(min_length=1, max_length=MAX_NAME)] | SkipJsonSchema[None] = None
    description: str | None = Field(None, max_length=MAX_DESCRIPTION)
    steps: (
        Annotated[
            SkipValidation[list[StepDefinition]], Field(json_schema_extra={"maxItems": MAX_STEPS})
        ]
        | SkipJsonSchema[None]
    ) = None
    is_active: bool | SkipJsonSchema[None] = Field(None, alias="isActive")
    flow_control: dict[str, Any] | None = Field(
        None, alias="flowControl", description=f"{FLOW_CONTROL}; null removes it"
    )


class RunBody(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    input: dict[str, Any] | None = None


# what a created workflow, run and webhook lead to (OpenAPI links)
_WORKFLOW = "$response.body#/workflow/id"
WORKFLOW_LINKS = (
    *(
        Link(operation, {"id": _WORKFLOW})
        for operation in (
            "get_workflow",
            "update_workflow",
            "run_workflow",
            "list_runs",
            "create_webhook",
            "delete_workflow",
        )
    ),
    # a trigger and a schedule of the workflow (their routes are the events' and the
    # scheduler's; each takes the workflow in its body)
    Link("create_trigger", body={"workflowId": _WORKFLOW}),
    Link("create_task", body={"workflowId": _WORKFLOW}),
)
RUN_LINKS = tuple(
    Link(operation, {"runId": "$response.body#/run/id"})
    for operation in ("get_run", "cancel_run", "retry_run")
)
WEBHOOK_LINKS = (
    Link("inbound_webhook", {"endpointKey": "$response.body#/webhook/endpointKey"}),
    Link("delete_webhook", {"id": "$request.path.id", "webhookId": "$response.body#/webhook/id"}),
)

MAX_WAIT_SECONDS = 25  # well inside the api function's 60 s timeout


class RunWait(BaseModel):
    wait: (
        Annotated[float, Field(ge=0, le=MAX_WAIT_SECONDS, allow_inf_nan=False)]
        | SkipJsonSchema[None]
    ) = Field(
        None,
        description=f"seconds (0..{MAX_WAIT_SECONDS}) to wait for the run to finish: "
        "200 with the finished run if it did, else 202 with the run as it stands",
    )


class RunFilter(BaseModel):
    status: runs.RunStatus | SkipJsonSchema[None] = None
    limit: int = Field(20, ge=1, le=100)
    cursor: Cursor = None


class UserRunFilter(RunFilter):
    model_config = ConfigDict(populate_by_name=True)

    workflow_id: UUID | SkipJsonSchema[None] = Field(
        None, alias="workflowId", description="only this workflow's runs"
    )


def _idempotency_key(ctx: Ctx, scope: str) -> str | None:
    key = ctx.request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 1 <= len(key) <= 150:
        raise Invalid("Idempotency-Key header must be 1..150 characters")
    return f"{scope}:{key}"


@router.route(
    "POST",
    "/api/workflow",
    summary="Create a workflow",
    body=WorkflowBody,
    response=WorkflowSaved,
    status=201,
    errors=(409,),  # past the per-user cap (shared.db.quota)
    tag=TAG,
    links=WORKFLOW_LINKS,
)
def create_workflow(ctx: Ctx) -> dict[str, Any]:
    body: WorkflowBody = ctx.body
    steps = validate_steps(body.steps)
    rules = flow.validate(body.flow_control)
    workflow = store.create(ctx.user_id, body.name, body.description, steps, body.is_active, rules)
    return {"success": True, "workflow": workflow}


@router.route(
    "GET",
    "/api/workflows",
    summary="List the user's workflows",
    response=list[Workflow],
    tag=TAG,
)
def list_workflows(ctx: Ctx) -> list[dict[str, Any]]:
    return store.list_for(ctx.user_id)


@router.route(
    "GET",
    "/api/workflow/<id>",
    summary="A workflow with its recent runs and its webhooks",
    response=WorkflowDetail,
    tag=TAG,
)
def get_workflow(ctx: Ctx) -> dict[str, Any]:
    workflow = store.get(ctx.user_id, ctx.params["id"])
    workflow_id = str(workflow["id"])
    return {
        **workflow,
        "runs": runs.recent(ctx.user_id, workflow_id),
        "webhooks": webhooks.for_workflow(ctx.user_id, workflow_id),
    }


@router.route(
    "PUT",
    "/api/workflow/<id>",
    summary="Change a workflow's name, description, steps, active flag or flow control",
    body=WorkflowChanges,
    response=WorkflowSaved,
    tag=TAG,
)
def update_workflow(ctx: Ctx) -> dict[str, Any]:
    body: WorkflowChanges = ctx.body
    changes: dict[str, Any] = {}
    for field in body.model_fields_set:
        value = getattr(body, field)
        if value is None and field not in ("description", "flow_control"):
            raise Invalid(f"{field} cannot be null")
        changes[field] = value
    if "steps" in changes:
        changes["steps"] = validate_steps(changes["steps"])
    if "flow_control" in changes:
        changes["flow_control"] = flow.validate(changes["flow_control"])
    workflow = store.update(ctx.user_id, ctx.params["id"], changes)
    return {"success": True, "workflow": workflow}


@router.route(
    "DELETE", "/api/workflow/<id>", summary="Delete a workflow", response=Success, tag=TAG
)
def delete_workflow(ctx: Ctx) -> dict[str, Any]:
    store.delete(ctx.user_id, ctx.params["id"])
    return {"success": True}


@router.route(
    "POST",
    "/api/workflow/<id>/run",
    summary="Run a workflow now: 202 with the run queued or running, 200 with it once "
    "finished (?wait=S waits up to S seconds for that; header Idempotency-Key: a repeat "
    "returns the first run)",
    body=RunBody,
    query=RunWait,
    response=RunResult,
    status=202,
    also=((200, "The run has finished (within ?wait); success is whether it succeeded"),),
    errors=(409,),
    tag=TAG,
    links=RUN_LINKS,
)
def run_workflow(ctx: Ctx) -> tuple[dict[str, Any], int]:
    body: RunBody = ctx.body
    query: RunWait = ctx.query
    workflow_id = store.parse_id(ctx.params["id"])
    run = execute_workflow(
        workflow_id,
        ctx.user_id,
        {},
        "manual",
        idempotency_key=_idempotency_key(ctx, f"manual:{workflow_id}"),
        input=body.input,
    )
    return _answer(ctx.user_id, run, query.wait)


def _answer(user_id: str, run: Row, seconds: float | None) -> tuple[dict[str, Any], int]:
    """202 with a run not finished (after waiting up to ``seconds`` for it), 200 with
    one that has: executed by this request (no hand-off), in time, or a repeat."""
    if seconds is not None:
        run = wait(user_id, str(run["id"]), seconds)
    if run["status"] in runs.UNFINISHED:  # a swarm step still out shows its members
        return {"success": True, "run": members.with_progress(run)}, 202
    return {"success": run["status"] == "succeeded", "run": run}, 200


@router.route(
    "GET",
    "/api/workflow/run/<runId>",
    summary="A run with each step's result",
    response=Run,
    tag=TAG,
)
def get_run(ctx: Ctx) -> dict[str, Any]:
    return members.with_progress(runs.get(ctx.user_id, ctx.params["runId"]))


@router.route(
    "GET",
    "/api/workflow/runs",
    summary="The user's runs of every workflow, newest first, paged by cursor",
    query=UserRunFilter,
    response=RunPage,
    tag=TAG,
)
def list_user_runs(ctx: Ctx) -> dict[str, Any]:
    query: UserRunFilter = ctx.query
    workflow_id = str(query.workflow_id) if query.workflow_id else None
    return runs.page(
        ctx.user_id, workflow_id, limit=query.limit, cursor=query.cursor, status=query.status
    )


@router.route(
    "GET",
    "/api/workflow/<id>/runs",
    summary="A workflow's runs, newest first, paged by cursor",
    query=RunFilter,
    response=RunPage,
    tag=TAG,
)
def list_runs(ctx: Ctx) -> dict[str, Any]:
    query: RunFilter = ctx.query
    workflow = store.get(ctx.user_id, ctx.params["id"])
    return runs.page(
        ctx.user_id,
        str(workflow["id"]),
        limit=query.limit,
        cursor=query.cursor,
        status=query.status,
    )


@router.route(
    "POST",
    "/api/workflow/run/<runId>/cancel",
    summary="Cancel a run: a sleeping or waiting one stops at once, a running one after its step",
    response=RunResult,
    errors=(409,),
    tag=TAG,
)
def cancel_run(ctx: Ctx) -> dict[str, Any]:
    return {"success": True, "run": runs.cancel(ctx.user_id, ctx.params["runId"])}


@router.route(
    "POST",
    "/api/workflow/run/<runId>/retry",
    summary="Continue a failed run from its failed step, keeping the completed steps' "
    "outputs: 202 with the run running, 200 with it once finished (?wait=S waits up to S "
    "seconds for that)",
    query=RunWait,
    response=RunResult,
    status=202,
    also=((200, "The run has finished (within ?wait); success is whether it succeeded"),),
    errors=(409,),
    tag=TAG,
)
def retry_run(ctx: Ctx) -> tuple[dict[str, Any], int]:
    query: RunWait = ctx.query
    run = retry(ctx.user_id, ctx.params["runId"])
    return _answer(ctx.user_id, run, query.wait)


@router.route(
    "POST",
    "/api/workflow/<id>/webhook",
    summary="Create an inbound webhook for a workflow (the key is shown once)",
    response=WebhookCreated,
    status=201,
    errors=(409,),  # past the per-user cap (shared.db.quota)
    tag=TAG,
    links=WEBHOOK_LINKS,
)
def create_webhook(ctx: Ctx) -> dict[str, Any]:
    row, endpoint_key = webhooks.create(ctx.user_id, ctx.params["id"])
    base = ctx.request.url_root.rstrip("/")
    prefix = "/api" if ctx.request.path.startswith("/api") else ""
    return {
        "success": True,
        "webhook": {
            "id": row["id"],
            "endpointKey": endpoint_key,
            "url": f"{base}{prefix}/webhook/{endpoint_key}",
        },
    }


@router.route(
    "DELETE",
    "/api/workflow/<id>/webhook/<webhookId>",
    summary="Revoke an inbound webhook; its key stops working at once",
    response=Success,
    tag=TAG,
)
def delete_webhook(ctx: Ctx) -> dict[str, Any]:
    webhooks.revoke(ctx.user_id, ctx.params["id"], ctx.params["webhookId"])
    return {"success": True}


@router.route(
    "POST",
    "/api/webhook/<endpointKey>",
    summary="Start a workflow from outside: the body is the run's trigger data (no JWT)",
    response=WebhookAccepted,
    status=202,
    auth=False,
    errors=(409, 413, 422),
    tag=TAG,
    links=(Link("get_run", {"runId": "$response.body#/runId"}),),
)
def inbound_webhook(ctx: Ctx) -> tuple[dict[str, Any], int]:
    hook = webhooks.resolve(ctx.params["endpointKey"])
    body = read_json(ctx.request)
    trigger = body if isinstance(body, dict) else ({} if body is None else {"body": body})
    run = execute_workflow(
        str(hook["workflow_id"]),
        hook["user_id"],
        trigger,
        "webhook",
        idempotency_key=_idempotency_key(ctx, f"webhook:{hook['id']}"),
    )
    return {"success": True, "runId": run["id"]}, 202
