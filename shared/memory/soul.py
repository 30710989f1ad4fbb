"""The Digital Soul: the user's voice profile, always first in an agent's context.

Versioned: an ingest writes a new row with the next version and makes it current;
earlier versions stay. The fingerprint given is merged over the current one key by
key (a key set to ``null`` is removed), and exemplars replace the current ones only
when given, so a client can change the tone without resending everything. An ingest
that changes nothing writes nothing. Ingests of one user are serialised by an
advisory lock; the unique indexes on (user_id, version) and on the current row stay
as the guarantee underneath."""

from __future__ import annotations

import json
from typing import Any

from shared.db import Row, Tx, get_database
from shared.events import outbox
from shared.memory.store import lock

COLUMNS = (
    "id, user_id, version, semantic_fingerprint, exemplars, is_current, created_at, updated_at"
)


def _current(tx: Tx, user_id: str) -> Row | None:
    return tx.one(
        f"SELECT {COLUMNS} FROM digital_souls WHERE user_id = %s AND is_current",
        (user_id,),
    )


def current_soul(user_id: str) -> Row | None:
    """The user's current Digital Soul, or None when they have none."""
    with get_database().transaction() as tx:
        return _current(tx, user_id)


def soul_versions(user_id: str) -> list[Row]:
    """Every version of the user's soul, newest first."""
    with get_database().transaction() as tx:
        return tx.all(
            f"SELECT {COLUMNS} FROM digital_souls WHERE user_id = %s ORDER BY version DESC",
            (user_id,),
        )


def ingest(
    user_id: str,
    fingerprint: dict[str, Any],
    exemplars: list[str] | None = None,
    *,
    depth: int = 0,
) -> tuple[Row, bool]:
    """Make a new current version from ``fingerprint`` (merged over the current one)
    and ``exemplars``; returns the current soul and whether a version was written.
    Emits ``soul.updated`` in the same transaction when it was."""
    with get_database().transaction() as tx:
        lock(tx, f"soul:{user_id}")
        previous = _current(tx, user_id)
        merged = dict(previous["semantic_fingerprint"]) if previous else {}
        for key, value in fingerprint.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        kept = list(previous["exemplars"]) if previous else []
        new_exemplars = kept if exemplars is None else list(exemplars)
        if previous and merged == previous["semantic_fingerprint"] and new_exemplars == kept:
            return previous, False
        version = tx.scalar(
            "SELECT coalesce(max(version), 0) + 1 FROM digital_souls WHERE user_id = %s",
            (user_id,),
        )
        tx.execute(
            "UPDATE digital_souls SET is_current = false, updated_at = now() "
            "WHERE user_id = %s AND is_current",
            (user_id,),
        )
        soul = tx.one(
            "INSERT INTO digital_souls (user_id, version, semantic_fingerprint, exemplars, is_current) "
            f"VALUES (%s, %s, %s::jsonb, %s::jsonb, true) RETURNING {COLUMNS}",
            (user_id, version, json.dumps(merged), json.dumps(new_exemplars)),
        )
        assert soul is not None
        outbox.record(
            tx,
            user_id,
            "soul.updated",
            {"soulId": str(soul["id"]), "version": soul["version"]},
            depth=depth,
        )
    return soul, True
