"""Finishing what was accepted: the per-minute job dispatches, itself, every event
that was published but whose dispatch never happened or never ended.

Two kinds of event are stranded: one published more than
``EVENT_REDISPATCH_GRACE_SECONDS`` ago and still ``pending`` (its delivery was lost,
refused while the database was down, dead-lettered, or the local bus gave up), and one
still ``dispatching`` after its dispatch lease ran out (the delivery that held it
died). Each is dispatched here, directly through ``shared.events.dispatch`` rather
than published again: nothing depends on the bus, Pub/Sub or Cloud Scheduler
delivering anything twice, and the claim on the event row, the idempotency key of each
(event, trigger) run and the ``triggered`` record make a dispatch that races a late
delivery run nothing twice.

Rows are picked in batches of ``REDISPATCH_BATCH`` with ``FOR UPDATE SKIP LOCKED``,
and each pick counts in ``redispatch_attempts``: the least-tried come first, so a row
that keeps failing goes to the back and never keeps the others waiting."""

from __future__ import annotations

from pydantic import ValidationError

from shared import logs
from shared.config import get_settings
from shared.db import Row, get_database
from shared.errors import AppError, Retryable
from shared.events import dispatch
from shared.events.envelope import ROW_COLUMNS, from_row, problems

log = logs.get(__name__)

REDISPATCH_BATCH = 20  # each one may run workflows: a tick must end within its deadline
SETTLED = ("dispatched", "too_deep", "throttled")  # what this call ended, not someone else


def redispatch_stranded(limit: int = REDISPATCH_BATCH) -> int:
    """Dispatch up to ``limit`` stranded events; how many this call dispatched."""
    done = 0
    for row in _pick(limit):
        event_id = str(row["id"])
        try:
            outcome = dispatch.dispatch(from_row(row))
        except Retryable:
            raise  # the database went away: the next minute goes on
        except ValidationError as exc:  # stored before a rule tightened
            log.warning(
                "stranded event cannot be dispatched",
                extra={"eventId": event_id, "error": f"invalid envelope: {problems(exc)}"},
            )
            continue
        except AppError as exc:
            log.warning(
                "stranded event cannot be dispatched",
                extra={"eventId": event_id, "error": exc.message},
            )
            continue
        except Exception:  # a bug, but this event's alone
            log.exception("re-dispatch of a stranded event raised", extra={"eventId": event_id})
            continue
        if outcome.status in SETTLED:
            done += 1
    if done:
        log.info("dispatched stranded events", extra={"dispatched": done})
    return done


def _pick(limit: int) -> list[Row]:
    with get_database().transaction() as tx:
        rows = tx.all(
            "UPDATE usage_events SET redispatch_attempts = redispatch_attempts + 1 "
            "WHERE id IN (SELECT id FROM usage_events "
            "WHERE (dispatch_status = 'pending' AND published_at IS NOT NULL "
            "AND published_at < now() - make_interval(secs => %s)) "
            "OR (dispatch_status = 'dispatching' AND dispatch_lease_until < now()) "
            "ORDER BY redispatch_attempts, created_at LIMIT %s FOR UPDATE SKIP LOCKED) "
            f"RETURNING {ROW_COLUMNS}, redispatch_attempts, created_at",
            (get_settings().event_redispatch_grace_seconds, limit),
        )
    return sorted(rows, key=lambda r: (r["redispatch_attempts"], r["created_at"]))
