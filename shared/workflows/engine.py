"""``execute_workflow``: the one way a workflow runs, whoever starts it (a person, a
schedule, an event, a webhook).

A run is recorded before its first step and updated after each one. Steps run in
order; each step's record holds its rendered input, its output or error, and its
duration. When a step fails, the run fails with that error and the steps after it are
recorded as skipped. When a ``condition`` step does not hold, the steps after it are
recorded as skipped and the run still succeeds: the gate did its job. An inactive
workflow is not run: its run is recorded as ``skipped`` with the reason, so a schedule
or trigger that fired is visible. Runs share nothing, so one failing run cannot
affect another."""

from __future__ import annotations

import time
from typing import Any

from pydantic import ValidationError

from shared import clock
from shared.errors import Invalid
from shared.logs import get
from shared.workflows import runs, steps, store
from shared.workflows.definition import ConditionStep, parse_step
from shared.workflows.errors import StepFailed

log = get(__name__)


def execute_workflow(
    workflow_id: str,
    user_id: str,
    trigger_data: dict[str, Any],
    trigger_type: str,
    *,
    idempotency_key: str | None = None,
    input: dict[str, Any] | None = None,
    depth: int = 0,
) -> dict[str, Any]:
    """Run the user's workflow and return its run row.

    Raises ``NotFound`` when the workflow is not the user's. With ``idempotency_key``,
    a key seen before returns the first run (finished or still running) and executes
    nothing; the same key for a different workflow is ``Conflict``. ``depth`` is the
    event depth of what triggered the run: events the run emits get ``depth + 1``."""
    if trigger_type not in runs.TRIGGER_TYPES:
        raise Invalid(f"trigger type must be one of {', '.join(runs.TRIGGER_TYPES)}")
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
        raise Invalid("idempotency key must be 1..200 characters")
    workflow = store.get(user_id, workflow_id)
    run, created = runs.claim(
        str(workflow["id"]),
        user_id,
        trigger_type,
        trigger_data or {},
        input or {},
        idempotency_key,
        skipped_because=None if workflow["is_active"] else "workflow is inactive",
    )
    if not created or run["status"] != "running":
        return run
    ctx = steps.RunContext(str(run["id"]), str(workflow["id"]), user_id, depth)
    scope: dict[str, Any] = {"trigger": trigger_data or {}, "input": input or {}, "steps": {}}
    return _run(workflow["steps"], scope, ctx)


def _run(
    stored: list[dict[str, Any]], scope: dict[str, Any], ctx: steps.RunContext
) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    error: str | None = None
    skip_reason: str | None = None
    for index, raw in enumerate(stored):
        step_id = str(raw.get("id") or f"#{index + 1}")
        if skip_reason is not None:
            results.append(
                {"id": step_id, "type": raw.get("type"), "status": "skipped", "reason": skip_reason}
            )
            continue
        result = _one(raw, step_id, scope, ctx)
        results.append(result)
        if result["status"] == "failed":
            error = f"step '{step_id}' failed: {result['error']}"
            skip_reason = f"step '{step_id}' failed"
        elif raw.get("type") == "condition" and not result["output"]["matched"]:
            skip_reason = f"condition '{step_id}' did not hold"
        if index < len(stored) - 1:  # after the last step, finish() records the same
            runs.save_steps(ctx.run_id, results)
    status = "failed" if error else "succeeded"
    log.info("workflow run %s %s", ctx.run_id, status, extra={"workflowId": ctx.workflow_id})
    return runs.finish(ctx.run_id, status, results, error)


def _one(
    raw: dict[str, Any], step_id: str, scope: dict[str, Any], ctx: steps.RunContext
) -> dict[str, Any]:
    began = time.monotonic()
    record: dict[str, Any] = {
        "id": step_id,
        "type": raw.get("type"),
        "startedAt": clock.now().isoformat(),
    }
    try:
        step = parse_step(raw)
        output = steps.execute(step, scope, ctx, record)
    except StepFailed as exc:
        record.update(status="failed", error=exc.message, output=exc.output)
    except ValidationError as exc:  # stored before a rule changed; refuse, do not guess
        record.update(status="failed", error=f"step is no longer valid: {exc.errors()[0]['msg']}")
    except ValueError as exc:
        record.update(status="failed", error=f"step is no longer valid: {exc}")
    except Exception as exc:  # one broken step must not leave its run 'running'
        log.exception("step %s of run %s raised", step_id, ctx.run_id)
        record.update(status="failed", error=f"internal error ({type(exc).__name__})")
    else:
        record.update(status="succeeded", output=output)
        scope["steps"][step.id] = {"output": output}
        if isinstance(step, ConditionStep):
            record["matched"] = output["matched"]
    record["durationMs"] = round((time.monotonic() - began) * 1000, 1)
    return record
