"""Flow control on a workflow's runs, enforced in the database so it holds across every
function instance: ``{"key": "{{trigger.payload.channel}}", "concurrency": N,
"rateLimit": {"limit": N, "periodSeconds": S}, "debounce": {"seconds": S},
"priority": P}`` (every part optional; ``key``, rendered from the run's trigger data
and input, splits each limit per key; ``priority`` is a number or one placeholder).

Every decision is taken in the transaction that claims or begins the run, after an
advisory lock on the workflow, so two deliveries racing for the last place are
decided one after the other, each seeing what the other committed:

- ``rateLimit``: a run beyond N started in the last S seconds (for its key) is
  recorded ``skipped``, with the reason.
- ``debounce``: a run is not started but sleeps, debouncing, for S seconds; a run
  claimed while one of its workflow and key debounces is recorded ``skipped`` and hands
  its trigger data and input to the debouncing one, whose sleep starts again. The run
  that wakes after S seconds of quiet runs with the last event.
- ``concurrency``: a run that would begin while N runs of its workflow and key are
  running, sleeping or waiting, or queued ahead of it (higher ``priority``, then older)
  and about to begin, stays ``queued``, held: places go in that order, not to whichever
  executor arrives first. When a run ends, the held runs that now fit are started,
  highest ``priority`` first, then oldest (``release``)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.db import Row, Tx, get_database
from shared.errors import Invalid
from shared.workflows import templating

# a debounced run not yet begun: its quiet period is not over
PENDING = "(debouncing AND status = 'sleeping' AND step_results = '[]'::jsonb)"
MAX_PRIORITY = 100


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class RateLimit(_Model):
    limit: int = Field(ge=1, le=1_000_000)
    period_seconds: int = Field(alias="periodSeconds", ge=1, le=7 * 86_400)


class Debounce(_Model):
    seconds: int = Field(ge=1, le=7 * 86_400)


class FlowControl(_Model):
    key: str | None = Field(None, min_length=1, max_length=200)
    concurrency: int | None = Field(None, ge=1, le=10_000)
    rate_limit: RateLimit | None = Field(None, alias="rateLimit")
    debounce: Debounce | None = None
    priority: int | str | None = None


def validate(raw: Any) -> dict[str, Any] | None:
    """The flow control as stored (``None``: none), or ``Invalid`` naming the problem."""
    if raw is None:
        return None
    try:
        parsed = FlowControl.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise Invalid(f"flowControl.{where}: {first['msg']}" if where else first["msg"]) from None
    for name, template in (("key", parsed.key), ("priority", parsed.priority)):
        for path in templating.placeholders(template):
            if path.split(".")[0] not in ("trigger", "input"):
                raise Invalid(f"flowControl.{name} may only read trigger and input, not {path}")
    if isinstance(parsed.priority, int) and abs(parsed.priority) > MAX_PRIORITY:
        raise Invalid(f"flowControl.priority must be between -{MAX_PRIORITY} and {MAX_PRIORITY}")
    if isinstance(parsed.priority, str) and not templating.PLACEHOLDER.fullmatch(parsed.priority):
        raise Invalid("flowControl.priority must be a number or one {{placeholder}}")
    return parsed.model_dump(by_alias=True, exclude_none=True)


def apply(tx: Tx, claimed: list[Row], now: datetime) -> list[Row]:
    """Within the claiming transaction: each new run of a workflow with flow control,
    as its rules leave it (running or queued as claimed, held, debouncing or skipped)."""
    return [_applied(tx, run, now) if _controlled(run) else run for run in claimed]


def _controlled(run: Row) -> bool:
    return bool(run.get("flow_control")) and run["status"] in ("queued", "running")


def _applied(tx: Tx, run: Row, now: datetime) -> Row:
    rules = run["flow_control"]
    scope = {"trigger": run["trigger_data"], "input": run["input"]}
    key, priority = _key(rules, scope), _priority(rules, scope)
    _lock(tx, str(run["workflow_id"]))
    run = _set(tx, run, "flow_key = %s, priority = %s", (key, priority))
    limit = rules.get("rateLimit")
    if limit and _started_within(tx, run, limit["periodSeconds"]) >= limit["limit"]:
        reason = f"rate limited: at most {limit['limit']} runs per {limit['periodSeconds']} s"
        return _skip(tx, run, reason)
    debounce = rules.get("debounce")
    if debounce:
        return _debounced(tx, run, now + timedelta(seconds=debounce["seconds"]))
    if run["status"] == "running" and not admit(tx, run, locked=True):
        return _set(tx, run, "", ())
    return run


def admit(tx: Tx, run: Row, *, locked: bool = False) -> bool:
    """Within the transaction that makes ``run`` begin: whether its workflow and key
    have room for one more; when not, the run is put back, queued and held."""
    limit = (run.get("flow_control") or {}).get("concurrency")
    if not limit:
        return True
    if not locked:
        _lock(tx, str(run["workflow_id"]))
    busy = tx.scalar(
        "SELECT count(*) FROM workflow_runs o JOIN workflow_runs me ON me.id = %s "
        "WHERE o.workflow_id = me.workflow_id AND o.flow_key IS NOT DISTINCT FROM me.flow_key "
        "AND o.id <> me.id AND NOT (o.debouncing AND o.status = 'sleeping' "
        "AND o.step_results = '[]'::jsonb) "
        "AND (o.status IN ('running', 'sleeping', 'waiting') OR (o.status = 'queued' "
        "AND NOT o.held AND (o.priority > me.priority OR (o.priority = me.priority "
        "AND (o.started_at, o.id) < (me.started_at, me.id)))))",
        (run["id"],),
    )
    if int(busy) < int(limit):
        return True
    tx.execute(
        "UPDATE workflow_runs SET status = 'queued', held = true, start_by = NULL, "
        "lease_owner = NULL, lease_until = NULL WHERE id = %s",
        (run["id"],),
    )
    return False


def release(workflow_id: str, grace_seconds: int) -> list[Row]:
    """The held runs of the workflow that now fit its concurrency (per key), unheld and
    queued to start within ``grace_seconds``, highest priority first, then oldest."""
    from shared.workflows.runs import RESUME_COLUMNS

    with get_database().transaction() as tx:
        _lock(tx, workflow_id)
        return tx.all(
            "WITH held AS (SELECT id, flow_key, flow_control, "
            "row_number() OVER (PARTITION BY flow_key ORDER BY priority DESC, started_at, id) AS n "
            "FROM workflow_runs WHERE workflow_id = %s AND held AND status = 'queued'), "
            "busy AS (SELECT flow_key, count(*) AS n FROM workflow_runs WHERE workflow_id = %s "
            f"AND flow_control IS NOT NULL AND NOT {PENDING} "
            "AND status IN ('running', 'sleeping', 'waiting') GROUP BY flow_key) "
            "UPDATE workflow_runs r SET held = false, "
            "start_by = now() + make_interval(secs => %s) FROM held h "
            "LEFT JOIN busy b ON b.flow_key IS NOT DISTINCT FROM h.flow_key "
            "WHERE r.id = h.id AND h.n <= (h.flow_control->>'concurrency')::int - coalesce(b.n, 0) "
            f"RETURNING {', '.join('r.' + c.strip() for c in RESUME_COLUMNS.split(','))}",
            (workflow_id, workflow_id, grace_seconds),
        )


def held_workflows(limit: int) -> list[str]:
    """Workflows with held runs (the per-minute job releases what fits)."""
    with get_database().transaction() as tx:
        rows = tx.all(
            "SELECT DISTINCT workflow_id FROM workflow_runs WHERE held AND status = 'queued' "
            "LIMIT %s",
            (limit,),
        )
    return [str(r["workflow_id"]) for r in rows]


def limits_concurrency(run: Row) -> bool:
    return bool((run.get("flow_control") or {}).get("concurrency"))


def _lock(tx: Tx, workflow_id: str) -> None:
    tx.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", ("flow:" + workflow_id,))


def _key(rules: dict[str, Any], scope: dict[str, Any]) -> str | None:
    template = rules.get("key")
    if template is None:
        return None
    value = templating.render(template, scope)
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def _priority(rules: dict[str, Any], scope: dict[str, Any]) -> int:
    value = templating.render(rules.get("priority") or 0, scope)
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return 0
    return max(-MAX_PRIORITY, min(MAX_PRIORITY, number))


def _started_within(tx: Tx, run: Row, seconds: int) -> int:
    return int(
        tx.scalar(
            "SELECT count(*) FROM workflow_runs WHERE workflow_id = %s "
            "AND flow_key IS NOT DISTINCT FROM %s AND id <> %s AND status <> 'skipped' "
            "AND started_at > now() - make_interval(secs => %s)",
            (run["workflow_id"], run.get("flow_key"), run["id"], seconds),
        )
    )


def _debounced(tx: Tx, run: Row, until: datetime) -> Row:
    pending = tx.one(
        "UPDATE workflow_runs SET trigger_data = %s::jsonb, input = %s::jsonb, wake_at = %s "
        "WHERE id = (SELECT id FROM workflow_runs WHERE workflow_id = %s "
        f"AND flow_key IS NOT DISTINCT FROM %s AND id <> %s AND {PENDING} "
        "ORDER BY started_at LIMIT 1) RETURNING id",
        (
            json.dumps(run["trigger_data"], default=str),
            json.dumps(run["input"], default=str),
            until,
            run["workflow_id"],
            run.get("flow_key"),
            run["id"],
        ),
    )
    if pending is not None:
        return _skip(tx, run, f"debounced: run {pending['id']} runs with this event")
    return _set(
        tx,
        run,
        "status = 'sleeping', debouncing = true, wake_at = %s, start_by = NULL, "
        "lease_owner = NULL, lease_until = NULL",
        (until,),
    )


def _skip(tx: Tx, run: Row, reason: str) -> Row:
    return _set(
        tx,
        run,
        "status = 'skipped', error = %s, finished_at = now(), start_by = NULL, "
        "lease_owner = NULL, lease_until = NULL",
        (reason,),
    )


def _set(tx: Tx, run: Row, sets: str, params: tuple[Any, ...]) -> Row:
    """The run after ``sets`` (none: as it stands in this transaction)."""
    from shared.workflows.runs import RESUME_COLUMNS

    assignment = f"{sets}, " if sets else ""
    row = tx.one(
        f"UPDATE workflow_runs SET {assignment}id = id WHERE id = %s RETURNING {RESUME_COLUMNS}",
        (*params, run["id"]),
    )
    assert row is not None
    return row
