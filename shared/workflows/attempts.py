"""One step of a run, attempted until it ends or has to wait.

The step executes under the run's lease, renewed while it is in flight. A failure a
retry can fix is attempted again, up to the step's ``retries``, after the backoff of
``shared.workflows.retries``: a short wait here, a longer one by returning the step's
record ``waiting`` with ``nextAttemptAt``, which the engine turns into a sleeping run.
A step that waits for its time (``StepWaits``: a sleep step) is returned ``waiting``
too, and one that waits for an event (a ``waitForEvent`` step) ``waiting`` with
``waitingFor`` (what it waits for, and when that times out), which the engine turns
into a waiting run. When such a step runs again, its record's ``attempts`` and ``input`` carry over
from the earlier record: the attempts count on, and a sleep step keeps its wake time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from shared import clock
from shared.errors import Retryable
from shared.logs import get
from shared.workflows import retries, runs, step_types
from shared.workflows.errors import StepFailed, StepWaits
from shared.workflows.step_types import RunContext, StepModel, StepType

log = get(__name__)


@dataclass
class _Attempt:
    record: dict[str, Any]
    retryable: bool = False
    until: datetime | None = None  # the step waits for its time
    event: dict[str, Any] | None = None  # ... or for this event, ``until`` its timeout


def attempt(
    raw: dict[str, Any],
    step_id: str,
    scope: dict[str, Any],
    ctx: RunContext,
    earlier: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The step's record: ended (``succeeded``/``failed``) or ``waiting``. ``earlier``
    is its ``waiting`` record from before the run slept."""
    tried: list[dict[str, Any]] = list(earlier.get("attempts") or []) if earlier else []
    carried = earlier.get("input") if earlier else None
    parsed = _parsed(raw, step_id)
    if isinstance(parsed, dict):
        return parsed
    kind, step = parsed
    try:
        with _lease_kept(ctx):
            while True:
                left = step.retries - len(tried)
                done = _one(kind, step, scope, replace(ctx, retries_left=left), carried)
                if done.until is not None:
                    return _waiting(done, done.until)
                if not done.retryable or left <= 0:
                    return _with_attempts(done.record, tried)
                tried.append(retries.attempt_of(done.record))
                wait = retries.wait_after(len(tried), step.backoff_seconds)
                log.info(
                    "step %s of run %s failed, attempt %d of %d; next in %.1f s",
                    step_id,
                    ctx.run_id,
                    len(tried),
                    step.retries + 1,
                    wait,
                )
                if wait > retries.INLINE_WAIT_SECONDS:
                    until = clock.now() + timedelta(seconds=wait)
                    return retries.waiting(done.record | {"attempts": tried}, until)
                time.sleep(wait)
    except Retryable:
        # the database went away mid-step: give the lease up, so the retry of what
        # started the run (or the per-minute job) resumes it at this step at once
        runs.release(ctx.run_id, ctx.owner)
        raise


def attempt_pure(
    raw: dict[str, Any], step_id: str, scope: dict[str, Any], ctx: RunContext
) -> dict[str, Any]:
    """A pure step's record: attempted once, without a lease (nothing it does needs
    one, and nothing it can fail on is fixed by a retry)."""
    parsed = _parsed(raw, step_id)
    if isinstance(parsed, dict):
        return parsed
    kind, step = parsed
    return _one(kind, step, scope, ctx, None).record


def _parsed(raw: dict[str, Any], step_id: str) -> tuple[StepType[Any], StepModel] | dict[str, Any]:
    """The step's type and model, or its failed record: a step stored before a rule
    changed is refused, not guessed at."""
    try:
        return _parse(raw)
    except ValueError as exc:
        record = _started(raw, step_id) | {"status": "failed", "durationMs": 0.0}
        return record | {"error": f"step is no longer valid: {_reason(exc)}"}


def _waiting(done: _Attempt, until: datetime) -> dict[str, Any]:
    if done.event is None:
        return retries.waiting(done.record, until)
    waits_for = done.event | {"timeoutAt": until.isoformat()}
    return done.record | {"status": "waiting", "waitingFor": waits_for}


def _with_attempts(record: dict[str, Any], tried: list[dict[str, Any]]) -> dict[str, Any]:
    """A step attempted more than once lists every attempt, the last one last."""
    if tried:
        record["attempts"] = [*tried, retries.attempt_of(record)]
    return record


@contextmanager
def _lease_kept(ctx: RunContext) -> Iterator[None]:
    """Renew the run's lease while a step is in flight, so a long step keeps it."""
    done = threading.Event()

    def renew() -> None:
        while not done.wait(max(1.0, runs.lease_seconds() / 3)):
            try:
                if not runs.renew(ctx.run_id, ctx.owner):
                    return
            except Exception as exc:  # the next checkpoint finds out for sure
                log.warning("lease renewal of run %s failed: %s", ctx.run_id, exc)

    keeper = threading.Thread(target=renew, name=f"lease-{ctx.run_id}", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        done.set()
        keeper.join(timeout=5)


def _parse(raw: dict[str, Any]) -> tuple[StepType[Any], StepModel]:
    kind = step_types.of(raw.get("type"))
    if kind is None:
        raise ValueError("unknown step type")
    step: StepModel = kind.parse(raw)
    return kind, step


def _reason(exc: ValueError) -> str:
    return str(exc.errors()[0]["msg"]) if isinstance(exc, ValidationError) else str(exc)


def _started(raw: dict[str, Any], step_id: str) -> dict[str, Any]:
    return {"id": step_id, "type": raw.get("type"), "startedAt": clock.now().isoformat()}


def _one(
    kind: StepType[Any],
    step: StepModel,
    scope: dict[str, Any],
    ctx: RunContext,
    carried: Any,
) -> _Attempt:
    began = time.monotonic()
    record = _started({"type": kind.name}, step.id)
    if carried is not None:
        record["input"] = carried
    done = _Attempt(record)
    try:
        output = kind.execute(step, scope, ctx, record)
    except StepWaits as exc:
        done.until, done.event = exc.until, exc.event
    except StepFailed as exc:
        record.update(status="failed", error=exc.message, output=exc.output)
        done.retryable = exc.retryable
    except ValueError as exc:  # a rule changed since the step was stored; do not guess
        record.update(status="failed", error=f"step is no longer valid: {_reason(exc)}")
    except Retryable:
        raise  # the database is down: the lease runs out and the run is resumed here
    except Exception as exc:  # one broken step must not leave its run 'running'
        log.exception("step %s of run %s raised", step.id, ctx.run_id)
        record.update(status="failed", error=f"internal error ({type(exc).__name__})")
    else:
        record.update(status="succeeded", output=output)
        scope["steps"][step.id] = {"output": output}
        held = kind.gate(output)
        if held is not None:
            record["matched"] = held
    record["durationMs"] = round((time.monotonic() - began) * 1000, 1)
    return done
