"""``execute_workflow``: the one way a workflow runs, whoever starts it (a person, a
schedule, an event, a webhook), and ``resume``: the way a run whose process died is
finished by someone else.

A run is recorded before its first step, with the steps it will run, and checkpointed
after each one: the results so far are committed when a step ends. Steps run in order;
each step's record holds its rendered input, its output or error, and its duration.
When a step fails, the run fails with that error and the steps after it are recorded
as skipped. When a ``condition`` step does not hold, the steps after it are recorded as
skipped and the run still succeeds: the gate did its job. An inactive workflow is not
run: its run is recorded as ``skipped`` with the reason, so a schedule or trigger that
fired is visible.

The executor holds the run's lease (``shared.workflows.runs``) and renews it while a
step is in flight. A run whose lease expired is taken over by a redelivery of what
started it, or by the per-minute job, and resumed at its first step without a
committed result: completed steps never run again, and later steps see their saved
outputs in ``{{steps.<id>.output}}`` exactly as the first time."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared import clock
from shared.db import Row, Tx
from shared.errors import Invalid, Retryable
from shared.logs import get
from shared.workflows import attempts, runs, step_types, store

log = get(__name__)


@dataclass(frozen=True)
class Started:
    """What a start came to: the run, and whether this call executed its steps (a new
    run, or one it took over) rather than finding it done or in someone else's hands."""

    run: Row
    executed: bool


def start(
    workflow_id: str,
    user_id: str,
    trigger_data: dict[str, Any],
    trigger_type: str,
    *,
    idempotency_key: str | None = None,
    input: dict[str, Any] | None = None,
    depth: int = 0,
) -> Started:
    """Run the user's workflow; see ``execute_workflow``."""
    if trigger_type not in runs.TRIGGER_TYPES:
        raise Invalid(f"trigger type must be one of {', '.join(runs.TRIGGER_TYPES)}")
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
        raise Invalid("idempotency key must be 1..200 characters")
    workflow = store.get(user_id, workflow_id)
    owner = _owner()
    run, created = runs.claim(
        str(workflow["id"]),
        user_id,
        trigger_type,
        trigger_data or {},
        input or {},
        idempotency_key,
        owner=owner,
        definition=workflow["steps"],
        depth=depth,
        skipped_because=None if workflow["is_active"] else "workflow is inactive",
    )
    if run["status"] == "running":
        if created:
            return Started(_execute(run, owner), True)
        taken = runs.take_over(str(run["id"]), owner)
        if taken is not None:
            log.info("workflow run %s resumed by a redelivery", run["id"])
            return Started(_execute(taken, owner), True)
    if run["status"] == "sleeping":  # a redelivery after its wake time wakes it now
        woken = _wake(str(run["id"]), clock.now())
        if woken is not None:
            return Started(woken, True)
    return Started(runs.public(run), False)


def execute_workflow(
    workflow_id: str,
    user_id: str,
    trigger_data: dict[str, Any],
    trigger_type: str,
    *,
    idempotency_key: str | None = None,
    input: dict[str, Any] | None = None,
    depth: int = 0,
) -> Row:
    """Run the user's workflow and return its run row.

    Raises ``NotFound`` when the workflow is not the user's. With ``idempotency_key``,
    a key seen before returns the first run and executes nothing, unless that run's
    executor died (its lease expired): then this call resumes it. The same key for a
    different workflow is ``Conflict``. ``depth`` is the event depth of what triggered
    the run: events the run emits get ``depth + 1``."""
    return start(
        workflow_id,
        user_id,
        trigger_data,
        trigger_type,
        idempotency_key=idempotency_key,
        input=input,
        depth=depth,
    ).run


def resume(run_id: str) -> Row | None:
    """Take over a run whose lease expired and finish it; None when it was not free."""
    owner = _owner()
    taken = runs.take_over(run_id, owner)
    if taken is None:
        return None
    log.info("workflow run %s resumed after its lease expired", run_id)
    return _execute(taken, owner)


def retry(user_id: str, run_id: str) -> Row:
    """Continue a failed run from its failed step (a new attempt of the same run): the
    steps that succeeded keep their outputs and are not executed again."""
    owner = _owner()
    reopened = runs.reopen(user_id, run_id, owner)
    log.info("workflow run %s retried from its failed step", reopened["id"])
    return _execute(reopened, owner)


def resume_expired(limit: int = 50) -> int:
    """The per-minute job's duty: finish the runs whose executor died. One run that
    cannot be finished does not keep the others waiting."""
    return _each(runs.expired(limit), resume)


def wake_due(limit: int = 50) -> int:
    """The per-minute job's duty: resume the sleeping runs whose wake time has come
    (at the step that waited), so a run wakes at most a minute late."""
    now = clock.now()
    return _each(runs.due(now, limit), lambda run_id: _wake(run_id, now))


def _wake(run_id: str, now: datetime) -> Row | None:
    owner = _owner()
    woken = runs.wake(run_id, owner, now)
    if woken is None:
        return None
    log.info("workflow run %s woken", run_id)
    return _execute(woken, owner)


def _each(run_ids: list[str], go_on: Callable[[str], Row | None]) -> int:
    """Go on with each run; how many this call executed. One that fails does not keep
    the others waiting; a database that went away stops them all."""
    count = 0
    for run_id in run_ids:
        try:
            if go_on(run_id) is not None:
                count += 1
        except Retryable:
            raise
        except Exception as exc:  # its steps' own failures are recorded on the run
            log.warning("could not go on with run %s: %s", run_id, exc)
    return count


def _owner() -> str:
    return uuid.uuid4().hex


def _execute(run: Row, owner: str) -> Row:
    definition = run.get("definition")
    if definition is None:  # a run from before runs carried their steps
        definition = store.get(run["user_id"], str(run["workflow_id"]))["steps"]
    ctx = step_types.RunContext(
        str(run["id"]), str(run["workflow_id"]), run["user_id"], int(run.get("depth") or 0), owner
    )
    scope: dict[str, Any] = {"trigger": run["trigger_data"], "input": run["input"], "steps": {}}
    return _run(definition, list(run["step_results"] or []), scope, ctx)


def _run(
    stored: list[dict[str, Any]],
    committed: list[dict[str, Any]],
    scope: dict[str, Any],
    ctx: step_types.RunContext,
) -> Row:
    def checkpoint(results: list[dict[str, Any]]) -> bool:
        return runs.save_steps(ctx.run_id, ctx.owner, results)

    done = _steps(stored, committed, scope, ctx, attempts.attempt, checkpoint)
    if done.lost:
        return _lost(ctx, stored, done.results)
    if done.wake_at is not None:
        return _sleep(ctx, stored, done.results, done.wake_at)
    finished = runs.finish(ctx.run_id, ctx.owner, done.status, done.results, done.error)
    if finished is None:
        return _lost(ctx, stored, done.results)
    log.info("workflow run %s %s", ctx.run_id, done.status, extra={"workflowId": ctx.workflow_id})
    return finished


@dataclass
class _Steps:
    """Where a pass over a run's steps stopped: at its end, at a waiting step
    (``wake_at``), or at a checkpoint that found the lease gone (``lost``)."""

    results: list[dict[str, Any]]
    error: str | None = None
    wake_at: str | None = None
    lost: bool = False

    @property
    def status(self) -> str:
        return "failed" if self.error else "succeeded"


def _steps(
    stored: list[dict[str, Any]],
    committed: list[dict[str, Any]],
    scope: dict[str, Any],
    ctx: step_types.RunContext,
    attempt: Callable[..., dict[str, Any]],
    checkpoint: Callable[[list[dict[str, Any]]], bool],
) -> _Steps:
    done = _Steps([])
    skip_reason: str | None = None
    for index, raw in enumerate(stored):
        step_id = str(raw.get("id") or f"#{index + 1}")
        earlier = committed[index] if index < len(committed) else None
        if earlier is not None and earlier.get("id") != step_id:
            earlier = None
        executed = True
        if earlier is not None and earlier.get("status") != "waiting":
            result, executed = earlier, False  # ended in an earlier attempt: never run again
            if result.get("status") == "succeeded":
                scope["steps"][step_id] = {"output": result.get("output")}
        elif skip_reason is not None:
            result = {"id": step_id, "type": raw.get("type"), "status": "skipped"}
            result["reason"] = skip_reason
        else:
            result = attempt(raw, step_id, scope, ctx, earlier)
        done.results.append(result)
        if result["status"] == "waiting":
            done.wake_at = result["nextAttemptAt"]
            return done
        if result["status"] == "failed" and done.error is None:
            done.error = f"step '{step_id}' failed: {result['error']}"
            skip_reason = f"step '{step_id}' failed"
        elif result.get("matched") is False:
            skip_reason = f"condition '{step_id}' did not hold"
        last = index == len(stored) - 1
        if not last and executed and not checkpoint(done.results):
            done.lost = True
            return done
    return done


def run_inline(
    tx: Tx,
    workflow: Row,
    user_id: str,
    trigger_data: dict[str, Any],
    trigger_type: str,
    *,
    idempotency_key: str,
    depth: int = 0,
) -> Row | None:
    """Execute a run of ``workflow`` (the user's: its ``id``, ``steps``, ``is_active``,
    read in ``tx``) whose steps are all pure (``StepType.pure``) inside ``tx`` and
    record it ended there: its record and its outcome commit together, or neither
    does, and a redelivery does it again. None when the workflow is inactive, has a
    step that is not pure, or the key was used before: then ``start`` is the way (it
    records the run before its first step, under a lease)."""
    if not workflow["is_active"]:
        return None
    stored: list[dict[str, Any]] = workflow["steps"] or []
    if not all(_is_pure(raw) for raw in stored):
        return None
    run_id = str(uuid.uuid4())
    ctx = step_types.RunContext(run_id, str(workflow["id"]), user_id, depth)
    scope: dict[str, Any] = {"trigger": trigger_data, "input": {}, "steps": {}}

    def pure(raw: dict[str, Any], step_id: str, scope: dict[str, Any], *_: Any) -> dict[str, Any]:
        return attempts.attempt_pure(raw, step_id, scope, ctx)

    done = _steps(stored, [], scope, ctx, pure, lambda _: True)
    run = runs.record_ended(
        tx,
        run_id,
        str(workflow["id"]),
        user_id,
        trigger_type,
        trigger_data,
        idempotency_key,
        definition=stored,
        depth=depth,
        status=done.status,
        step_results=done.results,
        error=done.error,
    )
    if run is not None:
        tx.after_commit.append(
            lambda: log.info(
                "workflow run %s %s", run_id, done.status, extra={"workflowId": ctx.workflow_id}
            )
        )
    return run


def _is_pure(raw: dict[str, Any]) -> bool:
    kind = step_types.of(raw.get("type"))
    return kind is not None and kind.pure


def _sleep(
    ctx: step_types.RunContext,
    stored: list[dict[str, Any]],
    results: list[dict[str, Any]],
    wake_at: str,
) -> Row:
    """A step waits: the run sleeps until then, holding no lease and no process."""
    slept = runs.sleep(ctx.run_id, ctx.owner, results, datetime.fromisoformat(wake_at))
    if slept is None:
        return _lost(ctx, stored, results)
    log.info("workflow run %s sleeps until %s", ctx.run_id, wake_at)
    return slept


def _lost(
    ctx: step_types.RunContext, stored: list[dict[str, Any]], results: list[dict[str, Any]]
) -> Row:
    """The lease is gone. The run was cancelled: this executor records the step it
    finished and the rest as skipped. Or another executor took it over (this one
    stalled past its lease): that one goes on from the last checkpoint. Either way this
    one stops and answers with the run as it stands."""
    cancelled = runs.record_cancelled(ctx.run_id, runs.stopped(stored, results))
    if cancelled is not None:
        log.info("workflow run %s cancelled after step %d", ctx.run_id, len(results))
        return cancelled
    log.info("workflow run %s: lease taken over, this executor stops", ctx.run_id)
    return runs.get(ctx.user_id, ctx.run_id)
