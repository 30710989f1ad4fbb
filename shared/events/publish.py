"""Publishing from the outbox: after a transaction that recorded events commits, its
events are published and marked ``published_at``. A publish that fails leaves the row
unpublished (``publish_attempts`` counts the tries); the relay publishes such rows
later, on the next successful publish and from the per-minute job, so a crash or an
outage between commit and publish loses nothing.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` while they are published, so the
commit hook and any number of relays never publish the same row twice at once.
Delivery is still at least once (Pub/Sub may redeliver); dispatch dedupes by event id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared import logs
from shared.db import Tx, get_database
from shared.errors import AppError
from shared.events import outbox
from shared.events.bus import get_bus
from shared.events.envelope import from_row

log = logs.get(__name__)

RELAY_BATCH = 100

_COLUMNS = "id, user_id, event_type, event_data, depth, occurred_at"


@dataclass
class Published:
    published: int = 0
    failed: int = 0


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
        f"SELECT {_COLUMNS} FROM usage_events WHERE id = ANY(%s::uuid[]) "
        "AND published_at IS NULL ORDER BY created_at FOR UPDATE SKIP LOCKED",
        (list(event_ids),),
    )


def relay(limit: int = RELAY_BATCH) -> Published:
    """Publish up to ``limit`` unpublished events, the least-tried and oldest first."""
    if get_bus() is None:
        return Published()
    return _publish_claimed(
        f"SELECT {_COLUMNS} FROM usage_events WHERE published_at IS NULL "
        "ORDER BY publish_attempts, created_at LIMIT %s FOR UPDATE SKIP LOCKED",
        (limit,),
    )


def relay_pending(max_batches: int = 10) -> int:
    """The per-minute job's relay: batches until nothing is left or a batch fails.
    Returns how many events were published."""
    total = 0
    for _ in range(max_batches):
        result = relay()
        total += result.published
        if result.failed or result.published < RELAY_BATCH:
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
        envelopes = [from_row(row) for row in rows]
        try:
            results = bus.publish(envelopes)
        except Exception as exc:  # the bus itself is unusable (settings, client): all failed
            results = [exc] * len(envelopes)
        ok = [str(r["id"]) for r, err in zip(rows, results, strict=True) if err is None]
        failed = [(str(r["id"]), e) for r, e in zip(rows, results, strict=True) if e is not None]
        _mark(tx, ok, failed)
    for event_id, error in failed:
        log.warning(
            "event publish failed; left for the relay",
            extra={"eventId": event_id, "error": f"{type(error).__name__}: {error}"},
        )
    return Published(len(ok), len(failed))


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
