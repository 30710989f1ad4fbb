"""Inbound webhooks: an unguessable endpoint key that starts one workflow.

The key (32 random bytes, URL-safe) is shown once, when it is created; only its
SHA-256 is stored, so a copy of the database cannot call anyone's workflows. Revoking
sets ``revoked_at`` and the key stops resolving at once."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from shared.config import get_settings
from shared.db import Row, get_database
from shared.db.quota import check_quota
from shared.errors import NotFound
from shared.workflows.store import parse_id


def key_hash(endpoint_key: str) -> str:
    return hashlib.sha256(endpoint_key.encode()).hexdigest()


def create(user_id: str, workflow_id: str) -> tuple[Row, str]:
    """A new webhook for the user's workflow, and its endpoint key (shown once)."""
    workflow_id = parse_id(workflow_id)
    endpoint_key = secrets.token_urlsafe(32)
    with get_database().transaction() as tx:
        limit = get_settings().max_webhooks_per_user
        check_quota(tx, "workflow_webhooks", user_id, limit, "active webhooks")
        row = tx.one(
            "INSERT INTO workflow_webhooks (workflow_id, user_id, key_hash) "
            "SELECT id, user_id, %s FROM workflows WHERE id = %s AND user_id = %s "
            "RETURNING id, workflow_id, created_at",
            (key_hash(endpoint_key), workflow_id, user_id),
        )
    if row is None:
        raise NotFound("workflow not found")
    return row, endpoint_key


def revoke(user_id: str, workflow_id: str, webhook_id: str) -> None:
    """Revoke the webhook; revoking one already revoked is a no-op."""
    workflow_id = parse_id(workflow_id)
    webhook_id = parse_id(webhook_id, "webhook")
    with get_database().transaction() as tx:
        found = tx.one(
            "UPDATE workflow_webhooks SET revoked_at = coalesce(revoked_at, now()) "
            "WHERE id = %s AND workflow_id = %s AND user_id = %s RETURNING id",
            (webhook_id, workflow_id, user_id),
        )
    if found is None:
        raise NotFound("webhook not found")


def resolve(endpoint_key: str) -> Row:
    """The live webhook for a key (its id, workflow and owner), or ``NotFound``."""
    if not endpoint_key or len(endpoint_key) > 200:
        raise NotFound("webhook not found")
    with get_database().transaction() as tx:
        row = tx.one(
            "SELECT id, workflow_id, user_id FROM workflow_webhooks "
            "WHERE key_hash = %s AND revoked_at IS NULL",
            (key_hash(endpoint_key),),
        )
    if row is None:
        raise NotFound("webhook not found")
    return row


def for_workflow(user_id: str, workflow_id: str) -> list[dict[str, Any]]:
    with get_database().transaction() as tx:
        return tx.all(
            "SELECT id, created_at, revoked_at FROM workflow_webhooks "
            "WHERE workflow_id = %s AND user_id = %s ORDER BY created_at, id",
            (workflow_id, user_id),
        )
