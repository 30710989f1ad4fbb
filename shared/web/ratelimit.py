"""Per-user rate limits on the routes that cost a model call or more.

A route opts in with ``rate_limit="<bucket>"`` on ``Router.route``; the frame calls
``enforce`` after authentication and before the handler, so a route added later is
limited by declaring it. The counter is a fixed window of ``WINDOW_SECONDS`` in the
``rate_limits`` table: one upsert per request returns the window's hit count, so
concurrent requests on any number of instances count exactly (the row lock of
``ON CONFLICT DO UPDATE`` serialises them). Past the bucket's limit the request is
``RateLimited`` (429) with ``Retry-After`` set to the seconds left in the window.
The same statement deletes the user's older windows of that bucket, so the table holds
at most one row per user and bucket."""

from __future__ import annotations

from collections.abc import Callable

from shared.config import Settings, get_settings
from shared.db import Tx, get_database
from shared.errors import RateLimited

WINDOW_SECONDS = 60

# bucket name -> the setting that holds its limit per window
BUCKETS: dict[str, Callable[[Settings], int]] = {
    "model": lambda settings: settings.rate_limit_model_per_minute,
}


def limit_of(bucket: str) -> int:
    try:
        return BUCKETS[bucket](get_settings())
    except KeyError:
        raise ValueError(f"unknown rate limit bucket {bucket!r}") from None


def hit(tx: Tx, user_id: str, bucket: str) -> tuple[int, float]:
    """Count one request; return the window's hits so far and the seconds it has left."""
    row = tx.one(
        "WITH w AS (SELECT to_timestamp(floor(extract(epoch FROM now()) / %s) * %s) AS start), "
        "pruned AS (DELETE FROM rate_limits WHERE user_id = %s AND bucket = %s "
        "AND window_start < (SELECT start FROM w)) "
        "INSERT INTO rate_limits (user_id, bucket, window_start, hits) "
        "SELECT %s, %s, start, 1 FROM w "
        "ON CONFLICT (user_id, bucket, window_start) "
        "DO UPDATE SET hits = rate_limits.hits + 1 "
        "RETURNING hits, extract(epoch FROM window_start + make_interval(secs => %s) - now()) "
        "AS left_seconds",
        (
            WINDOW_SECONDS,
            WINDOW_SECONDS,
            user_id,
            bucket,
            user_id,
            bucket,
            WINDOW_SECONDS,
        ),
    )
    assert row is not None
    return int(row["hits"]), max(0.0, float(row["left_seconds"]))


def enforce(user_id: str, bucket: str) -> None:
    """Raise ``RateLimited`` when the user is past the bucket's limit in this window."""
    limit = limit_of(bucket)
    with get_database().transaction() as tx:
        hits, left = hit(tx, user_id, bucket)
    if hits > limit:
        raise RateLimited(
            f"rate limit of {limit} requests per {WINDOW_SECONDS} s reached for this "
            "operation; retry after the Retry-After seconds",
            retry_after=max(1.0, left),
        )


def prune(before_seconds: int = WINDOW_SECONDS) -> int:
    """Delete every window that ended more than ``before_seconds`` ago (all users):
    for a periodic job; ``enforce`` already keeps each active user's rows to one."""
    with get_database().transaction() as tx:
        return tx.execute(
            "DELETE FROM rate_limits WHERE window_start < now() - make_interval(secs => %s)",
            (WINDOW_SECONDS + before_seconds,),
        )
