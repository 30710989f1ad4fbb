"""Event triggers: a user's rule "when an event of this type whose payload matches
these conditions happens, run this workflow", and firing them for one event.

Conditions are the one operator language of ``shared.conditions``: checked when a
trigger is saved (an unknown operator is a 400 then, never silently ignored later) and
evaluated on the event's payload at dispatch. Only the event's own user's triggers
are ever read (docs/contract/guarantees.md: the seed matched every user's).

A trigger whose workflow is already in the event's ``chain`` (a run of it led to the
event) is not run: the dispatch records it as ``cycle`` with the chain, so a workflow
that emits what triggers it runs once per outside event. A trigger saved with
``allowRecursion`` runs anyway, until the depth limit stops the loop.

Runs are started through the workflow engine's entry points, which the composition
root hands this module (``use_runner``): the events package never imports workflows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from shared import conditions, logs, storable
from shared.config import get_settings
from shared.db import Row, Tx, get_database
from shared.db.quota import check_quota
from shared.errors import AppError, NotFound, Retryable
from shared.events.handlers import handler_for
from shared.events.outbox import check_type

log = logs.get(__name__)


@dataclass(frozen=True)
class RunStart:
    """One run a trigger starts for an event: of which workflow, for whom, with what."""

    workflow_id: str
    user_id: str
    trigger_data: dict[str, Any]
    idempotency_key: str
    depth: int


class Started(Protocol):
    @property
    def run(self) -> Row: ...


class Runner(Protocol):
    """The engine's entry points, as dispatch uses them."""

    def run_inline(self, tx: Tx, workflow: Row, start: RunStart) -> Row | None:
        """Execute a run whose steps are all pure inside ``tx`` (None: it cannot)."""

    def start_many(self, starts: Sequence[RunStart]) -> Sequence[Started | AppError]:
        """Claim and hand off (or execute) every start's run; one outcome each."""

    def key_taken(self, exc: BaseException) -> bool:
        """Whether a failed commit of ``run_inline``'s transaction means the run's
        idempotency key was taken before (its run was started another way)."""


_runner: list[Runner] = []


def use_runner(runner: Runner) -> None:
    """Hand dispatch the engine (the composition root does, ``shared.wiring``)."""
    _runner[:] = [runner]


def _engine() -> Runner:
    if not _runner:
        from shared import wiring

        wiring.wire()
    return _runner[0]


COLUMNS = (
    "id, user_id, event_type, workflow_id, name, conditions, is_active, allow_recursion, "
    "triggered_count, last_triggered_at, created_at"
)


def create(
    user_id: str,
    event_type: str,
    workflow_id: str,
    when: dict[str, Any] | None,
    name: str | None,
    allow_recursion: bool = False,
) -> Row:
    check_type(event_type)
    _check(when, name)
    with get_database().transaction() as tx:
        limit = get_settings().max_triggers_per_user
        check_quota(tx, "event_triggers", user_id, limit, "event triggers")
        row = tx.one(
            "INSERT INTO event_triggers (user_id, event_type, workflow_id, name, conditions, "
            "allow_recursion) SELECT %s, %s, w.id, %s, %s::jsonb, %s FROM workflows w "
            f"WHERE w.id = %s AND w.user_id = %s RETURNING {COLUMNS}",
            (
                user_id,
                event_type,
                name,
                json.dumps(when or {}),
                allow_recursion,
                workflow_id,
                user_id,
            ),
        )
    if row is None:
        raise NotFound("workflow not found")
    return row


def update(user_id: str, trigger_id: str, changes: dict[str, Any]) -> Row:
    """Apply the changes given (``name``, ``conditions``, ``is_active``,
    ``allow_recursion``; conditions checked as on create). None given: the trigger as
    it is."""
    values: dict[str, Any] = {}
    if "conditions" in changes:
        _check(changes["conditions"], None)
        values["conditions = %s::jsonb"] = json.dumps(changes["conditions"] or {})
    if "name" in changes:
        _check(None, changes["name"])
        values["name = %s"] = changes["name"]
    for flag in ("is_active", "allow_recursion"):
        if changes.get(flag) is not None:
            values[f"{flag} = %s"] = changes[flag]
    assignments = "".join(f", {assignment}" for assignment in values)  # from code only
    with get_database().transaction() as tx:
        row = tx.one(
            f"UPDATE event_triggers SET id = id{assignments} WHERE id = %s AND user_id = %s "
            f"RETURNING {COLUMNS}",
            (*values.values(), trigger_id, user_id),
        )
    if row is None:
        raise NotFound("trigger not found")
    return row


def _check(when: Any, name: str | None) -> None:
    conditions.validate(when)
    bounds = storable.Bounds.of()
    storable.check(when, bounds, name="conditions")
    storable.check(name, bounds, name="name")


def list_for(user_id: str) -> list[Row]:
    with get_database().transaction() as tx:
        return tx.all(
            f"SELECT {COLUMNS} FROM event_triggers WHERE user_id = %s ORDER BY created_at DESC",
            (user_id,),
        )


def delete(user_id: str, trigger_id: str) -> None:
    with get_database().transaction() as tx:
        if not tx.execute(
            "DELETE FROM event_triggers WHERE id = %s AND user_id = %s", (trigger_id, user_id)
        ):
            raise NotFound("trigger not found")


@dataclass(frozen=True)
class Inline:
    """What ``fire_inline`` settled: the event's ``triggered`` so far, whether nothing
    is left for ``fire``, and the statement counting the triggers of the runs it
    executed (for the claim's write to carry, ``claim.write(along=...)``)."""

    triggered: list[dict[str, Any]]
    settled: bool
    counting: tuple[str, tuple[Any, ...]] | None


def run_key_taken(exc: BaseException) -> bool:
    """Whether the claim's commit failed because an inline run's key was taken."""
    return _engine().key_taken(exc)


def fire_inline(tx: Tx, event: Row, active: list[Row], *, runs: bool = True) -> Inline:
    """What the claim's transaction ``tx`` can settle itself: the triggers not run (a
    cycle) and the runs of workflows whose steps are all pure, executed and recorded
    in ``tx`` (``engine.run_inline``), with the trigger counts, so they commit with the
    claim. ``active`` is what ``active_query`` read in ``tx``. With ``runs`` False (a
    key was taken, ``run_key_taken``) every run is left for ``fire``."""
    user_id, payload = event["user_id"], _payload(event)
    done = list(event["triggered"] or [])
    seen = {entry.get("triggerId") or entry.get("handler") for entry in done}
    settled: list[dict[str, Any]] = []
    left = handler_for(event["event_type"]) is not None and event["event_type"] not in seen
    for trigger in active:
        if str(trigger["id"]) in seen or not _matches(trigger, payload):
            continue
        entry = _cycle(event, trigger)
        if entry is None:
            run = _run_inline(tx, event, trigger, payload) if runs else None
            if run is None:  # it needs a run of its own: ``fire`` starts it
                left = True
                continue
            entry = _entry(trigger) | {"runId": str(run["id"]), "status": run["status"]}
        settled.append(entry)
    counted = [entry["triggerId"] for entry in settled if "runId" in entry]
    counting = (_COUNT, (counted, user_id)) if counted else None
    return Inline(done + settled, not left, counting)


def fire(event: Row) -> list[dict[str, Any]]:
    """Run every matching trigger of the event's user, and the system handler of its
    type, skipping what an earlier (crashed) delivery of the event already recorded.
    Returns the event's ``triggered`` list."""
    event_id, user_id = str(event["id"]), event["user_id"]
    payload = _payload(event)
    done = list(event["triggered"] or [])
    seen = {entry.get("triggerId") or entry.get("handler") for entry in done}
    with get_database().transaction() as tx:
        active = _active(tx, event)
    matched = [t for t in active if str(t["id"]) not in seen and _matches(t, payload)]
    cycles = {str(t["id"]): c for t in matched if (c := _cycle(event, t)) is not None}
    started = iter(_run(event, [t for t in matched if str(t["id"]) not in cycles], payload))
    for trigger in matched:
        trigger_id = str(trigger["id"])
        entry = cycles.get(trigger_id) or next(started)
        counted = trigger_id if "runId" in entry else None
        if _record(event_id, user_id, entry, count_trigger=counted):
            done.append(entry)
    handler = handler_for(event["event_type"])
    if handler is not None and event["event_type"] not in seen:
        entry = _handle(event, handler, payload)
        if _record(event_id, user_id, entry, count_trigger=None):
            done.append(entry)
    return done


def _payload(event: Row) -> dict[str, Any]:
    return event["event_data"] if isinstance(event["event_data"], dict) else {}


def active_query(user_id: str, event_type: str) -> tuple[str, tuple[Any, ...]]:
    """The user's active triggers of the event's type, with their workflow's steps
    (what ``fire_inline`` needs to tell whether a run can be executed in place)."""
    return (
        "SELECT t.id, t.workflow_id, t.conditions, t.allow_recursion, w.steps, w.is_active "
        "FROM event_triggers t JOIN workflows w ON w.id = t.workflow_id "
        "AND w.user_id = t.user_id WHERE t.user_id = %s AND t.event_type = %s "
        "AND t.is_active ORDER BY t.created_at, t.id",
        (user_id, event_type),
    )


def _active(tx: Tx, event: Row) -> list[Row]:
    return tx.all(*active_query(event["user_id"], event["event_type"]))


def _entry(trigger: Row) -> dict[str, Any]:
    return {"triggerId": str(trigger["id"]), "workflowId": str(trigger["workflow_id"])}


def _start(event: Row, trigger: Row, payload: dict[str, Any]) -> RunStart:
    """The trigger's run on the event, its idempotency key the same on every delivery,
    so a run is started once."""
    event_id, trigger_id = str(event["id"]), str(trigger["id"])
    trigger_data = {
        "eventId": event_id,
        "eventType": event["event_type"],
        "payload": payload,
        "triggerId": trigger_id,
    }
    return RunStart(
        str(trigger["workflow_id"]),
        event["user_id"],
        trigger_data,
        f"event:{event_id}:{trigger_id}",
        event["depth"],
    )


_COUNT = (
    "UPDATE event_triggers SET triggered_count = triggered_count + 1, "
    "last_triggered_at = now() WHERE id = ANY(%s::uuid[]) AND user_id = %s"
)


def _count(tx: Tx, user_id: str, trigger_ids: list[str]) -> None:
    if trigger_ids:
        tx.execute(_COUNT, (trigger_ids, user_id))


def _matches(trigger: Row, payload: dict[str, Any]) -> bool:
    try:
        return conditions.matches(trigger["conditions"] or {}, payload)
    except AppError as exc:  # saved before a rule tightened: never matches, never crashes
        log.warning(
            "trigger conditions unusable",
            extra={"triggerId": str(trigger["id"]), "error": exc.message},
        )
        return False


def _cycle(event: Row, trigger: Row) -> dict[str, Any] | None:
    """The record of a trigger not run because its workflow led to the event."""
    chain = [str(workflow_id) for workflow_id in event.get("chain") or []]
    workflow_id = str(trigger["workflow_id"])
    if workflow_id not in chain or trigger["allow_recursion"]:
        return None
    log.info(
        "trigger not run: its workflow led to the event",
        extra={"eventId": str(event["id"]), "triggerId": str(trigger["id"])},
    )
    return {
        "triggerId": str(trigger["id"]),
        "workflowId": workflow_id,
        "status": "cycle",
        "chain": chain,
    }


def _run_inline(tx: Tx, event: Row, trigger: Row, payload: dict[str, Any]) -> Row | None:
    workflow = {"id": trigger["workflow_id"], "steps": trigger["steps"]}
    return _engine().run_inline(
        tx, workflow | {"is_active": trigger["is_active"]}, _start(event, trigger, payload)
    )


def _run(event: Row, matched: list[Row], payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Start the matched triggers' runs together (claimed in one pass, each handed to
    its own execution); the ``triggered`` entry of each."""
    starts = [_start(event, trigger, payload) for trigger in matched]
    entries = []
    outcomes = _engine().start_many(starts) if starts else []
    for trigger, outcome in zip(matched, outcomes, strict=True):
        if isinstance(outcome, Retryable):
            raise outcome
        if isinstance(outcome, AppError):  # the workflow is gone or refused the run
            entries.append({**_entry(trigger), "status": "error", "error": outcome.message})
        else:
            run = outcome.run
            entries.append({**_entry(trigger), "runId": str(run["id"]), "status": run["status"]})
    return entries


def _handle(event: Row, handler: Any, payload: dict[str, Any]) -> dict[str, Any]:
    envelope = {
        "eventId": str(event["id"]),
        "eventType": event["event_type"],
        "userId": event["user_id"],
        "payload": payload,
        "depth": event["depth"],
    }
    try:
        handler(envelope)
    except Retryable:
        raise
    except AppError as exc:
        return {"handler": event["event_type"], "status": "failed", "error": exc.message}
    return {"handler": event["event_type"], "status": "succeeded"}


def _record(
    event_id: str, user_id: str, entry: dict[str, Any], *, count_trigger: str | None
) -> bool:
    """Append to the event's ``triggered`` and count the trigger, together and once."""
    key = entry.get("triggerId") or entry.get("handler")
    with get_database().transaction() as tx:
        current = tx.scalar(
            "SELECT triggered FROM usage_events WHERE id = %s AND user_id = %s FOR UPDATE",
            (event_id, user_id),
        )
        if any((e.get("triggerId") or e.get("handler")) == key for e in current or []):
            return False
        tx.execute(
            "UPDATE usage_events SET triggered = triggered || %s::jsonb "
            "WHERE id = %s AND user_id = %s",
            (json.dumps([entry]), event_id, user_id),
        )
        _count(tx, user_id, [count_trigger] if count_trigger else [])
    return True
