"""Agent pools: at most ``AGENT_POOL_LIMIT`` calls of one agent in flight in the
installation, and ``AGENT_POOL_USER_LIMIT`` of one user, whatever instance makes them
(a workflow's agent steps and swarm members alike; ``shared.swarm.queueing`` is how the
calls that found no slot wait).

A slot is a row of ``agent_pool_slots``, taken in one transaction under an advisory
lock on the agent: expired slots (their holder died) are dropped, the slots in use are
counted, and the new one is inserted only below both limits, so two instances never
both take the last slot. Taking a slot the holder already has renews it. One user's
slots count against the installation's limit, never against another user's."""

from __future__ import annotations

from shared.config import get_settings
from shared.db import Tx, get_database

LOCK_PREFIX = "agent-pool:"


def acquire(agent_id: str, user_id: str, holder: str, seconds: int) -> bool:
    """Take a slot of ``agent_id`` for ``holder`` for at most ``seconds``; False when
    the pool, or the user's share of it, is full."""
    with get_database().transaction() as tx:
        return take(tx, agent_id, user_id, holder, seconds)


def take(tx: Tx, agent_id: str, user_id: str, holder: str, seconds: int) -> bool:
    """``acquire`` inside ``tx``, which holds the pool's lock until it commits (so what
    else the caller writes about the outcome commits with it)."""
    settings = get_settings()
    tx.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (LOCK_PREFIX + agent_id,))
    tx.execute(
        "DELETE FROM agent_pool_slots WHERE agent_id = %s AND expires_at < now()", (agent_id,)
    )
    use = tx.one(
        "SELECT count(*) AS total, count(*) FILTER (WHERE user_id = %s) AS mine, "
        "coalesce(bool_or(holder = %s), false) AS held "
        "FROM agent_pool_slots WHERE agent_id = %s",
        (user_id, holder, agent_id),
    )
    assert use is not None
    if not use["held"] and (
        use["total"] >= settings.agent_pool_limit or use["mine"] >= settings.agent_pool_user_limit
    ):
        return False
    tx.execute(
        "INSERT INTO agent_pool_slots (holder, agent_id, user_id, expires_at) "
        "VALUES (%s, %s, %s, now() + make_interval(secs => %s)) "
        "ON CONFLICT (holder) DO UPDATE SET expires_at = excluded.expires_at",
        (holder, agent_id, user_id, seconds),
    )
    return True


def release(holder: str) -> None:
    with get_database().transaction() as tx:
        tx.execute("DELETE FROM agent_pool_slots WHERE holder = %s", (holder,))


def room(agent_id: str, user_id: str) -> bool:
    """Whether the pool has a slot the user could take now (no lock: a hint)."""
    settings = get_settings()
    with get_database().transaction() as tx:
        use = tx.one(
            "SELECT count(*) AS total, count(*) FILTER (WHERE user_id = %s) AS mine "
            "FROM agent_pool_slots WHERE agent_id = %s AND expires_at >= now()",
            (user_id, agent_id),
        )
    assert use is not None
    return bool(
        use["total"] < settings.agent_pool_limit and use["mine"] < settings.agent_pool_user_limit
    )


def in_use(agent_id: str) -> int:
    """Slots of the agent held now (what the benchmark watches)."""
    with get_database().transaction() as tx:
        return int(
            tx.scalar(
                "SELECT count(*) FROM agent_pool_slots WHERE agent_id = %s AND expires_at >= now()",
                (agent_id,),
            )
        )
