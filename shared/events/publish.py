"""Publishing from the outbox: after a transaction that recorded events commits, its
events are published and marked ``published_at``. A publish that fails leaves the row
unpublished (``publish_attempts`` counts the tries); the relay publishes such rows
later, on the next successful publish and from the per-minute job, so a crash or an
outage between commit and publish loses nothing.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` while they are published, so the
commit hook and any number of relays never publish the same row twice at once.
Delivery is still at least once (Pub/Sub may redeliver); dispatch dedupes by event id.

One bad row never stops the others: the payload is read as text and decoded within
the JSON bounds here, row by row, and a row whose envelope cannot be built (stored
before the bounds held) is set aside with ``publish_error`` and never claimed again,
while the rest of its batch is published."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from shared import logs
from shared.db import Row, Tx, get_database
from shared.errors import AppError
from shared.events import outbox
from shared.events.bus import get_bus
from shared.events.envelope import ROW_COLUMNS, Envelope, from_row, problems
from shared.storable import scrub

log = logs.get(__name__)

RELAY_BATCH = 100


@dataclass
class Published:
    published: int = 0
    failed: int = 0  # left for the relay to try again
    set_aside: int = 0  # can never be published


def wire() -> None:
    """Install the after-commit publisher into the outbox (once per process)."""
    if _after_commit not in outbox.after_commit_hooks:
        outbox.after_commit_hooks.append(_after_commit)


def _after_commit(event_ids: list[str]) -> None:
    """Runs in the caller once its change committed: never raises into it."""
    try:
        result = publish_events(event_ids)
        if result.published and not result.failed:
            relay()
    except Exception as exc:  # the change is committed; the relay will publish later
        log.warning("events not published yet", extra={"events": event_ids, "error": str(exc)})


def publish_events(event_ids: Sequence[str]) -> Published:
    """Publish these events if they are still unpublished."""
    if get_bus() is None or not event_ids:
        return Published()
    return _publish_claimed(
        f"SELECT {ROW_COLUMNS} FROM usage_events WHERE id = ANY(%s::uuid[]) "
        "AND published_at IS NULL AND publish_error IS NULL ORDER BY created_at "
        "FOR UPDATE SKIP LOCKED",
        (list(event_ids),),
    )


def relay(limit: int = RELAY_BATCH) -> Published:
    """Publish up to ``limit`` unpublished events, the least-tried and oldest first."""
    if get_bus() is None:
        return Published()
    return _publish_claimed(
        f"SELECT {ROW_COLUMNS} FROM usage_events WHERE published_at IS NULL "
        "AND publish_error IS NULL ORDER BY publish_attempts, created_at LIMIT %s "
        "FOR UPDATE SKIP LOCKED",
        (limit,),
    )


def relay_pending(max_batches: int = 10) -> int:
    """The per-minute job's relay: batches until nothing is left or a batch fails.
    Returns how many events were published."""
    total = 0
    for _ in range(max_batches):
        result = relay()
        total += result.published
        if result.failed or result.published + result.set_aside < RELAY_BATCH:
            break
    if total:
        log.info("relayed unpublished events", extra={"published": total})
    return total


def _publish_claimed(sql: str, params: tuple[object, ...]) -> Published:
    bus = get_bus()
    assert bus is not None
    with get_database().transaction() as tx:
        rows = tx.all(sql, params)
        if not rows:
            return Published()
        ready, unpublishable = _envelopes(rows)
        try:
            results = bus.publish([envelope for _, envelope in ready])
        except Exception as exc:  # the bus itself is unusable (settings, client): all failed
            results = [exc] * len(ready)
        ok = [event_id for (event_id, _), err in zip(ready, results, strict=True) if err is None]
        failed = [(i, e) for (i, _), e in zip(ready, results, strict=True) if e is not None]
        _mark(tx, ok, failed)
        _set_aside(tx, unpublishable)
    for event_id, error in failed:
        log.warning(
            "event publish failed; left for the relay",
            extra={"eventId": event_id, "error": f"{type(error).__name__}: {error}"},
        )
    return Published(len(ok), len(failed), len(unpublishable))


def _envelopes(rows: list[Row]) -> tuple[list[tuple[str, Envelope]], list[tuple[str, str]]]:
    """The envelope of each row, and why not for each row that has none."""
    ready: list[tuple[str, Envelope]] = []
    unpublishable: list[tuple[str, str]] = []
    for row in rows:
        event_id = str(row["id"])
        try:
            ready.append((event_id, from_row(row)))
        except ValidationError as exc:
            unpublishable.append((event_id, f"invalid envelope: {problems(exc)}"))
        except AppError as exc:  # Unstorable: past the JSON bounds
            unpublishable.append((event_id, exc.message))
        except Exception as exc:  # a bug, but still this row's alone
            log.exception("event could not be read for publishing", extra={"eventId": event_id})
            unpublishable.append((event_id, f"unreadable: {type(exc).__name__}"))
    return ready, unpublishable


def _set_aside(tx: Tx, unpublishable: list[tuple[str, str]]) -> None:
    for event_id, reason in unpublishable:
        log.warning(
            "event can never be published; set aside",
            extra={"eventId": event_id, "error": reason},
        )
        tx.execute(
            "UPDATE usage_events SET publish_error = %s, publish_attempts = publish_attempts + 1 "
            "WHERE id = %s",
            (scrub(reason)[:1000], event_id),
        )


def _mark(tx: Tx, ok: list[str], failed: list[tuple[str, BaseException]]) -> None:
    if ok:
        tx.execute(
            "UPDATE usage_events SET published_at = now(), publish_attempts = publish_attempts + 1, "
            "detail = CASE WHEN dispatch_status = 'pending' THEN NULL ELSE detail END "
            "WHERE id = ANY(%s::uuid[])",
            (ok,),
        )
    if failed:
        tx.execute(
            "UPDATE usage_events SET publish_attempts = publish_attempts + 1, detail = %s "
            "WHERE id = ANY(%s::uuid[])",
            (_reason(failed[0][1]), [event_id for event_id, _ in failed]),
        )


def _reason(error: BaseException) -> str:
    text = error.message if isinstance(error, AppError) else str(error)
    return f"publish failed: {type(error).__name__}: {text}"[:500]
