"""Retention: how long each kind of row is kept, enforced once a day by the per-minute
job (the day is claimed in ``scheduler_sweeps``, so one instance purges per day) in
batches that never hold many locks for long (``batches``).

Every cut-off is computed from the project clock and passed to the database, so what
a purge deletes depends on the clock the caller holds, not on the database's.

The keys that make a redelivery a no-op outlive the rows: a purged event's id stays in
``retired_events``; a Stripe event keeps its row (only its payload is reduced); the
fire history's purge first records the time before which no key is kept
(``retention_marks``), and a delivery of a slot before it is a duplicate. Memories
and evolutions are not purged here: the memory capability's own decay (consolidation
and archiving) governs them."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared import clock, logs
from shared.clock import as_utc
from shared.config import Settings, get_settings
from shared.db import get_database
from shared.lifecycle import batches
from shared.lifecycle.catalog import ident
from shared.treasury.payloads import reduced
from shared.workflows.runs import UNFINISHED_SQL

log = logs.get(__name__)

ENDED = f"status NOT IN ({UNFINISHED_SQL})"


@dataclass(frozen=True)
class Rule:
    """One purge: rows of ``table`` matching ``where`` (each ``%s`` is the cut-off)."""

    name: str
    table: str
    days: Callable[[Settings], int]
    where: str
    apply: Callable[[Rule, datetime, datetime], int]

    def params(self, cutoff: datetime) -> tuple[datetime, ...]:
        return (cutoff,) * self.where.count("%s")


def _delete(rule: Rule, cutoff: datetime, now: datetime) -> int:
    return batches.delete(rule.table, rule.where, rule.params(cutoff))


def _retire(rule: Rule, cutoff: datetime, now: datetime) -> int:
    return batches.retire_events(rule.where, rule.params(cutoff))


def _strip_runs(rule: Rule, cutoff: datetime, now: datetime) -> int:
    return batches.update(
        rule.table,
        "input = '{}'::jsonb, trigger_data = '{}'::jsonb, step_results = '[]'::jsonb, "
        "definition = NULL, payloads_purged_at = %s",
        rule.where,
        (now, *rule.params(cutoff)),
    )


def _forget_fires(rule: Rule, cutoff: datetime, now: datetime) -> int:
    # the mark first: a redelivery while the rows go is already a duplicate
    with get_database().transaction() as tx:
        tx.execute(
            "INSERT INTO retention_marks (kind, purged_before) VALUES ('fires', %s) "
            "ON CONFLICT (kind) DO UPDATE SET purged_before = "
            "GREATEST(retention_marks.purged_before, EXCLUDED.purged_before)",
            (cutoff,),
        )
    return batches.delete(rule.table, rule.where, rule.params(cutoff))


def _reduce_payloads(rule: Rule, cutoff: datetime, now: datetime) -> int:
    total = 0
    while True:
        with get_database().transaction() as tx:
            rows = tx.all(
                f"SELECT id, payload FROM stripe_events WHERE {rule.where} "
                "ORDER BY received_at LIMIT %s FOR UPDATE SKIP LOCKED",
                (*rule.params(cutoff), batches.size()),
            )
            for row in rows:
                tx.execute(
                    "UPDATE stripe_events SET payload = %s::jsonb, payload_reduced_at = %s "
                    "WHERE id = %s",
                    (json.dumps(reduced(row["payload"])), now, row["id"]),
                )
        total += len(rows)
        if not rows:
            return total


RULES = (
    Rule(
        "eventsPurged",
        "usage_events",
        lambda s: s.retention_events_days,
        "created_at < %s AND dispatch_status <> 'dispatching'",
        _retire,
    ),
    Rule(
        "runPayloadsPurged",
        "workflow_runs",
        lambda s: s.retention_run_payloads_days,
        f"finished_at < %s AND payloads_purged_at IS NULL AND {ENDED}",
        _strip_runs,
    ),
    Rule(
        "runsPurged",
        "workflow_runs",
        lambda s: s.retention_runs_days,
        f"finished_at < %s AND {ENDED}",
        _delete,
    ),
    Rule(
        "firesPurged",
        "scheduled_task_runs",
        lambda s: s.retention_fires_days,
        "created_at < %s AND coalesce(slot_at, created_at) < %s AND status <> 'running'",
        _forget_fires,
    ),
    Rule(
        "rejectedDeliveriesPurged",
        "rejected_deliveries",
        lambda s: s.retention_rejected_days,
        "created_at < %s",
        _delete,
    ),
    Rule(
        "stripePayloadsReduced",
        "stripe_events",
        lambda s: s.retention_stripe_payload_days,
        "received_at < %s AND payload_reduced_at IS NULL",
        _reduce_payloads,
    ),
)


def cutoff(rule: Rule, now: datetime) -> datetime:
    return now - timedelta(days=rule.days(get_settings()))


def pending(now: datetime | None = None) -> dict[str, int]:
    """What a purge at ``now`` would change, per rule (``segp retention --dry-run``)."""
    now = as_utc(now or clock.now())
    counts = {}
    with get_database().transaction() as tx:
        for rule in RULES:
            counts[rule.name] = int(
                tx.scalar(
                    f"SELECT count(*) FROM {ident(rule.table)} WHERE {rule.where}",
                    rule.params(cutoff(rule, now)),
                )
            )
    return counts


def purge(now: datetime | None = None) -> dict[str, int]:
    """Apply every rule; one that fails is logged and left for the next day."""
    now = as_utc(now or clock.now())
    counts: dict[str, int] = {}
    for rule in RULES:
        try:
            counts[rule.name] = rule.apply(rule, cutoff(rule, now), now)
        except Exception as exc:
            log.warning("retention rule failed", extra={"rule": rule.name, "error": str(exc)})
            counts[rule.name] = 0
    log.info("retention purge", extra={"purged": counts})
    return counts


def purge_daily(now: datetime | None = None) -> int:
    """The per-minute job's duty: the first call of a UTC day purges, later ones do
    nothing. Returns how many rows changed."""
    now = as_utc(now or clock.now())
    with get_database().transaction() as tx:
        claimed = tx.scalar(
            "INSERT INTO scheduler_sweeps (kind, day) VALUES ('retention', %s) "
            "ON CONFLICT (kind, day) DO NOTHING RETURNING day",
            (now.date(),),
        )
    if claimed is None:
        return 0
    counts: dict[str, Any] = purge(now)
    return sum(counts.values())
