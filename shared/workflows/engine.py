"""``start`` (and ``start_many``, ``execute_workflow``): the one way a workflow runs,
whoever starts it (a person, a schedule, an event, a webhook, the tick), and
``resume``: the way a run whose process died is finished by someone else.

Starting claims the run (``shared.workflows.runs``) and hands it to its own execution
(``shared.workflows.handoff``): ``queued`` until a ``workflow-run`` delivery begins it
(``deliver``), or, when a hand-off was lost, until the per-minute job does
(``start_queued``). Runs started together are claimed in one statement and handed off
in one publish. Without a hand-off the claimer executes its runs itself, one after
the other.

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
outputs in ``{{steps.<id>.output}}`` exactly as the first time.

A step may pause its run, holding no lease and no process: a sleep or a retry's
backoff puts it ``sleeping`` until its wake time, a ``waitForEvent`` step puts it
``waiting`` until a matching event is dispatched (``event_dispatched``, which dispatch
calls for every event) or the wait times out; the per-minute job (``wake_due``) wakes
both kinds when their time has come."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from shared import clock
from shared.config import get_settings
from shared.db import Row, Tx
from shared.errors import AppError, Invalid, Retryable
from shared.events.handlers import dispatch_listener
from shared.events.triggers import RunStart
from shared.logs import get
from shared.rejections import record_rejection
from shared.swarm.members import Unit
from shared.workflows import attempts, ended, flow, handoff, runs, step_types, store, waits

log = get(__name__)
T = TypeVar("T")
SOURCE = "workflow-run"


@dataclass(frozen=True)
class Started:
    """What a start came to: the run, and whether this call set it going (a new run,
    or one it took over) rather than finding it done or in someone else's hands."""

    run: Row
    executed: bool
    found: bool = False  # an earlier start's run, left to whoever holds it or done


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
    """Start a run of the user's workflow; see ``execute_workflow``."""
    request = runs.Request(
        workflow_id, user_id, trigger_type, trigger_data or {}, input or {}, idempotency_key, depth
    )
    [outcome] = start_many([request])
    if isinstance(outcome, AppError):
        raise outcome
    return outcome


def start_many(requests: Sequence[runs.Request]) -> list[Started | AppError]:
    """Start every request's run: claimed together, then handed off together (or, with
    no hand-off, executed here one after the other). One outcome per request, in
    order; a request that cannot start (``NotFound``, ``Conflict``, ``Invalid``) is its
    own outcome and keeps none of the others from starting."""
    checked = [_checked(r) for r in requests]
    valid = [r for r in checked if isinstance(r, runs.Request)]
    queue = handoff.get_run_queue()
    owner = _owner()
    # one run and no hand-off: claimed running, leased to this call (one commit fewer)
    queued = queue is not None or len(valid) > 1
    grace = timedelta(seconds=get_settings().workflow_run_start_grace_seconds)
    start_by = clock.now() + grace if queued else None
    claims = iter(runs.claim_many(valid, owner=owner, start_by=start_by) if valid else [])
    outcomes: list[Started | AppError] = []
    fresh: list[tuple[int, Row]] = []  # new queued runs, by their place in outcomes
    for item in checked:
        claim = next(claims) if isinstance(item, runs.Request) else item
        if isinstance(claim, AppError):
            outcomes.append(claim)
            continue
        run, created = claim
        if created and run["status"] == "queued" and run.get("held"):
            outcomes.append(Started(runs.public(run), False))  # its flow control holds it
        elif created and run["status"] == "queued":
            fresh.append((len(outcomes), run))
            outcomes.append(Started(runs.public(run), True))
        elif created and run["status"] == "running":
            outcomes.append(Started(_execute(run, owner), True))
        elif created:  # skipped from the start: nothing to run
            outcomes.append(Started(runs.public(run), False))
        else:
            outcomes.append(_again(run))
    if queue is None:
        for index, run in fresh:
            outcomes[index] = Started(_begin(run) or runs.public(run), True)
    elif fresh:
        _hand_off(queue, [run for _, run in fresh])
    return outcomes


def _checked(request: runs.Request) -> runs.Request | AppError:
    if request.trigger_type not in runs.TRIGGER_TYPES:
        return Invalid(f"trigger type must be one of {', '.join(runs.TRIGGER_TYPES)}")
    key = request.idempotency_key
    if key is not None and not 1 <= len(key) <= 200:
        return Invalid("idempotency key must be 1..200 characters")
    try:
        workflow_id = store.parse_id(request.workflow_id)
    except AppError as exc:
        return exc
    return runs.Request(
        workflow_id,
        request.user_id,
        request.trigger_type,
        request.trigger_data,
        request.input,
        key,
        request.depth,
    )


def _hand_off(
    queue: handoff.RunQueue, found: list[Row], then: str = "the per-minute job will start it"
) -> list[Row]:
    """Hand each run to its execution; the runs whose hand-off failed, each logged
    with what happens to it ``then``. A hand-off that fails loses nothing: a new run
    stays queued, and the per-minute job starts it once its ``start_by`` passed."""
    try:
        results = queue.hand_off(found)
    except Exception as exc:  # the queue itself is unusable (settings, client)
        results = [exc] * len(found)
    failed = [(run, err) for run, err in zip(found, results, strict=True) if err is not None]
    for run, error in failed:
        log.warning(
            "workflow run %s not handed off; %s",
            run["id"],
            then,
            extra={"error": f"{type(error).__name__}: {error}"},
        )
    return [run for run, _ in failed]


def _again(run: Row) -> Started:
    """A start that found its run already claimed (a redelivery of what started it):
    it goes on with the run when nobody else will (its executor died, its wake time
    came, its hand-off was lost) and otherwise returns it as it stands."""
    run_id, owner = str(run["id"]), _owner()
    if run["status"] == "running":
        taken = runs.take_over(run_id, owner)
        if taken is not None:
            log.info("workflow run %s resumed by a redelivery", run_id)
            return Started(_execute(taken, owner), True)
    if run["status"] == "sleeping":  # a redelivery after its wake time wakes it now
        woken = _wake(run_id, clock.now())
        if woken is not None:
            return Started(woken, True)
    if run["status"] == "waiting":  # a redelivery after its wait timed out ends the wait
        ended_wait = _end_wait(run_id, clock.now())
        if ended_wait is not None:
            return Started(ended_wait, True)
    if run["status"] == "queued" and run["start_by"] and run["start_by"] <= clock.now():
        begun = _begin(run)
        if begun is not None:
            return Started(begun, True)
    return Started(runs.public(run), False, found=True)


def _begin(run: Row) -> Row | None:
    owner = _owner()
    begun = runs.begin(str(run["id"]), run["user_id"], owner)
    return _execute(begun, owner) if begun is not None else None


Delivered = Literal["executed", "resumed", "duplicate", "missing", "rejected"]


def deliver(data: Any, *, delivery_id: str | None = None) -> Delivered:
    """One ``workflow-run`` delivery: begin the queued run it names and execute it. A
    redelivery of a run that is finished or in another executor's hands does nothing
    and says so in one INFO line; one whose executor died takes it over."""
    try:
        message, message_id = handoff.decode(data)
    except handoff.Unprocessable as exc:
        record_rejection(SOURCE, exc.reason, body=exc.body, delivery_id=delivery_id)
        return "rejected"
    run_id, user_id = str(message.run_id), message.user_id
    if message.member is not None and message.step_id is not None:
        return _deliver_member(Unit(run_id, user_id, message.step_id, message.member))
    owner = _owner()
    begun = runs.begin(run_id, user_id, owner)
    if begun is not None:
        _execute(begun, owner)
        return "executed"
    run = runs.find(run_id, user_id)
    if run is None:
        log.info("workflow run %s not found: nothing to run", run_id)
        return "missing"
    if _again(run).executed:
        return "resumed"
    log.info(
        "workflow run %s is %s: nothing to run",
        run_id,
        run["status"],
        extra={"deliveryId": message_id or delivery_id},
    )
    return "duplicate"


def _deliver_member(unit: Unit) -> Delivered:
    from shared.swarm import member  # with the agents it calls: not on every cold start

    if member.execute(unit) != "gone":
        return "executed"
    log.info("swarm member %s of run %s ended or is in other hands", unit.index, unit.run_id)
    return "duplicate"


def wake_settled(run_id: str, step_id: str) -> Row | None:
    """Wake a run sleeping at ``step_id`` before its wake time, because what the step
    waits for is over (a swarm settled), and execute it here; None when it was not."""
    owner = _owner()
    woken = runs.wake_early(run_id, step_id, owner)
    if woken is None:
        return None
    log.info("workflow run %s woken: step %s settled", run_id, step_id)
    return _execute(woken, owner)


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
    steps that succeeded keep their outputs and are not executed again. With a runs
    topic the run is handed off, as a new run is (its delivery takes it over, since
    its lease ends at once), and returned ``running``; without one, or when the
    hand-off fails, it is executed here."""
    owner, queue = _owner(), handoff.get_run_queue()
    reopened = runs.reopen(user_id, run_id, owner, keep=queue is None)
    log.info("workflow run %s retried from its failed step", reopened["id"])
    if queue is None:
        return _execute(reopened, owner)
    if not _hand_off(queue, [reopened], "going on with it here"):
        return runs.get(user_id, run_id)
    taken = runs.take_over(str(reopened["id"]), owner)
    return _execute(taken, owner) if taken is not None else runs.get(user_id, run_id)


POLL_SECONDS = (0.02, 0.05, 0.1, 0.2, 0.25)  # then every 0.25 s: short runs answer fast


def wait(user_id: str, run_id: str, seconds: float) -> Row:
    """The run once it ended, or as it stands when ``seconds`` (by the project's
    clock) passed first. Polls the row, holding no connection in between."""
    deadline = clock.now() + timedelta(seconds=seconds)
    run = runs.get(user_id, run_id)
    polls = 0
    while run["status"] in runs.UNFINISHED and clock.now() < deadline:
        time.sleep(POLL_SECONDS[min(polls, len(POLL_SECONDS) - 1)])
        polls += 1
        run = runs.get(user_id, run_id)
    return run


def start_queued(limit: int = 50) -> int:
    """The per-minute job's duty: start the queued runs whose hand-off did not (the
    publish failed, the message was lost) within ``WORKFLOW_RUN_START_GRACE_SECONDS``."""
    due = runs.queued_due(clock.now(), limit)
    return _go_on(due, _start_lost)


def _start_lost(run: Row) -> Row | None:
    started = _begin(run)
    if started is not None:
        log.info("workflow run %s started by the per-minute job (its hand-off was lost)", run["id"])
    return started


def resume_expired(limit: int = 50) -> int:
    """The per-minute job's duty: finish the runs whose executor died. One run that
    cannot be finished does not keep the others waiting."""
    return _go_on(runs.expired(limit), lambda run: resume(str(run["id"])))


def wake_due(limit: int = 50) -> int:
    """The per-minute job's duty: resume the sleeping runs whose wake time has come
    (at the step that waited) and the waiting runs whose wait timed out, so a run
    wakes at most a minute late."""
    now = clock.now()
    woken = _go_on(runs.due(now, limit), lambda run: _wake(str(run["id"]), now))
    return woken + _go_on(waits.timed_out(now, limit), lambda run: _end_wait(str(run["id"]), now))


def _go_on(found: list[Row], here: Callable[[Row], Row | None]) -> int:
    """The per-minute job's way on with the runs it found (each ``id`` and
    ``user_id``): each handed to its own execution, as a new run is, whose delivery
    goes on from the run's state (``_again``), so one slow run never delays the
    others; without a hand-off, and for a run whose hand-off failed, ``here``, one
    after another. How many went on."""
    queue = handoff.get_run_queue()
    if queue is None or not found:
        return _each(found, here)
    failed = _hand_off(queue, found, "going on with it here")
    return len(found) - len(failed) + _each(failed, here)


def _awaited(event: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    return waits.awaited(event, clock.now())


@dispatch_listener(expects=_awaited)
def event_dispatched(event: dict[str, Any]) -> int:
    """What dispatch calls for every dispatched event (its envelope): resume the runs
    of its user that wait for it, each with the event as its waiting step's output.
    Idempotent per event: a wait it ended is gone for a second dispatch."""
    now = clock.now()
    matched = waits.matching(event, now)
    queue = handoff.get_run_queue()
    if queue is None or not matched:
        return _each(matched, lambda run_id: _end_wait(run_id, now, event))
    owner, resumed = _owner(), []
    for run_id in matched:  # the wait ends here, the rest of the run runs elsewhere
        row = waits.end(run_id, owner, now, event, keep=False)  # its delivery takes over
        if row is not None:
            log.info("workflow run %s resumed by event %s", run_id, event["eventId"])
            resumed.append(row)
    failed = _hand_off(queue, resumed, "going on with it here")
    return len(resumed) - len(failed) + _each(failed, lambda run: resume(str(run["id"])))


def _wake(run_id: str, now: datetime) -> Row | None:
    owner = _owner()
    woken = runs.wake(run_id, owner, now)
    if woken is None:
        return None
    log.info("workflow run %s woken", run_id)
    return _execute(woken, owner)


def _end_wait(run_id: str, now: datetime, event: dict[str, Any] | None = None) -> Row | None:
    owner = _owner()
    resumed = waits.end(run_id, owner, now, event)
    if resumed is None:
        return None
    why = f"by event {event['eventId']}" if event is not None else "after its wait timed out"
    log.info("workflow run %s resumed %s", run_id, why)
    return _execute(resumed, owner)


def _each(items: list[T], go_on: Callable[[T], Row | None]) -> int:
    """Go on with each run; how many this call executed. One that fails does not keep
    the others waiting; a database that went away stops them all."""
    count = 0
    for item in items:
        try:
            if go_on(item) is not None:
                count += 1
        except Retryable:
            raise
        except Exception as exc:  # its steps' own failures are recorded on the run
            log.warning("could not go on with run %s: %s", item, exc)
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
    after = _run(definition, list(run["step_results"] or []), scope, ctx)
    if after["status"] not in runs.UNFINISHED:
        ended.announce(after)
        if flow.limits_concurrency(run):
            _start_held(str(run["workflow_id"]))
    return after


def _start_held(workflow_id: str) -> int:
    """A run of a workflow with a concurrency limit ended: start the held runs that
    now fit, handed off (or, without a hand-off, executed here one after another)."""
    grace = get_settings().workflow_run_start_grace_seconds
    released = flow.release(workflow_id, grace)
    queue = handoff.get_run_queue()
    if queue is not None and released:
        _hand_off(queue, released)
    elif queue is None:
        for run in released:
            _begin(run)
    return len(released)


def start_held(limit: int = 50) -> int:
    """The per-minute job's duty: start the held runs that fit their workflow's
    concurrency now (a run ended without releasing them: cancelled, or its process
    died)."""
    return sum(_start_held(workflow_id) for workflow_id in flow.held_workflows(limit))


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
    if done.paused:
        return _pause(ctx, stored, done.results)
    finished = runs.finish(ctx.run_id, ctx.owner, done.status, done.results, done.error)
    if finished is None:
        return _lost(ctx, stored, done.results)
    log.info("workflow run %s %s", ctx.run_id, done.status, extra={"workflowId": ctx.workflow_id})
    return finished


@dataclass
class _Steps:
    """Where a pass over a run's steps stopped: at its end, at a step that waits for
    its time or an event (``paused``), or at a checkpoint that found the lease gone
    (``lost``)."""

    results: list[dict[str, Any]]
    error: str | None = None
    paused: bool = False
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
            done.paused = True
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
    does, and a redelivery does it again. None when the workflow is inactive or has a
    step that is not pure: then ``start`` is the way (it records the run before its
    first step, under a lease), as it is when the key was used before (the commit
    fails, ``runs.key_taken``)."""
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
    tx.after_commit.append(lambda: _ended_inline(run))
    return run


def _ended_inline(run: Row) -> None:
    log.info(
        "workflow run %s %s", run["id"], run["status"], extra={"workflowId": run["workflow_id"]}
    )
    ended.announce(run)


def _is_pure(raw: dict[str, Any]) -> bool:
    kind = step_types.of(raw.get("type"))
    return kind is not None and kind.pure


def _pause(
    ctx: step_types.RunContext, stored: list[dict[str, Any]], results: list[dict[str, Any]]
) -> Row:
    """The last step waits: for its time (the run sleeps until then) or for an event
    (the run waits for it), holding no lease and no process."""
    waiting = results[-1]
    if "waitingFor" in waiting:
        paused = waits.begin(ctx.run_id, ctx.owner, ctx.user_id, results)
        what = f"waits for {waiting['waitingFor']['eventType']}"
    else:
        wake_at = waiting["nextAttemptAt"]
        paused = runs.sleep(ctx.run_id, ctx.owner, results, datetime.fromisoformat(wake_at))
        what = f"sleeps until {wake_at}"
    if paused is None:
        return _lost(ctx, stored, results)
    log.info("workflow run %s %s", ctx.run_id, what)
    kind = step_types.of(waiting.get("type"))
    if "nextAttemptAt" in waiting and kind is not None and kind.settled(ctx, waiting):
        return wake_settled(ctx.run_id, str(waiting["id"])) or paused
    return paused


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


class TriggerRunner:
    """The engine's entry points as event dispatch is handed them
    (``shared.events.triggers.Runner``; wired by ``shared.bootstrap``)."""

    def run_inline(self, tx: Tx, workflow: Row, start: RunStart) -> Row | None:
        return run_inline(
            tx,
            workflow,
            start.user_id,
            start.trigger_data,
            "event",
            idempotency_key=start.idempotency_key,
            depth=start.depth,
        )

    def key_taken(self, exc: BaseException) -> bool:
        return runs.key_taken(exc)

    def start_many(self, starts: Sequence[RunStart]) -> list[Started | AppError]:
        return start_many(
            [
                runs.Request(
                    s.workflow_id,
                    s.user_id,
                    "event",
                    s.trigger_data,
                    {},
                    s.idempotency_key,
                    s.depth,
                )
                for s in starts
            ]
        )
