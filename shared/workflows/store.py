"""Workflows as stored rows. Every query is scoped by the owner: another user's
workflow does not exist here (``NotFound``), and a malformed id is not found either."""

from __future__ import annotations

import json
from typing import Any

from shared.config import get_settings
from shared.db import Row, get_database
from shared.db.quota import check_quota
from shared.errors import NotFound
from shared.ids import object_id

COLUMNS = "id, user_id, name, description, steps, is_active, flow_control, created_at, updated_at"


def parse_id(value: str, what: str = "workflow") -> str:
    """A canonical uuid string, or ``NotFound`` (a malformed id names nothing)."""
    return object_id(value, what)


def create(
    user_id: str,
    name: str,
    description: str | None,
    steps: list[dict[str, Any]],
    is_active: bool,
    flow_control: dict[str, Any] | None = None,
) -> Row:
    with get_database().transaction() as tx:
        check_quota(tx, "workflows", user_id, get_settings().max_workflows_per_user, "workflows")
        row = tx.one(
            f"INSERT INTO workflows (user_id, name, description, steps, is_active, flow_control) "
            f"VALUES (%s, %s, %s, %s::jsonb, %s, %s::jsonb) RETURNING {COLUMNS}",
            (user_id, name, description, json.dumps(steps), is_active, _json(flow_control)),
        )
    assert row is not None
    return row


def list_for(user_id: str) -> list[Row]:
    with get_database().transaction() as tx:
        return tx.all(
            f"SELECT {COLUMNS} FROM workflows WHERE user_id = %s ORDER BY created_at DESC, id",
            (user_id,),
        )


def get(user_id: str, workflow_id: str) -> Row:
    workflow_id = parse_id(workflow_id)
    with get_database().transaction() as tx:
        row = tx.one(
            f"SELECT {COLUMNS} FROM workflows WHERE id = %s AND user_id = %s",
            (workflow_id, user_id),
        )
    if row is None:
        raise NotFound("workflow not found")
    return row


def update(user_id: str, workflow_id: str, changes: dict[str, Any]) -> Row:
    """Apply ``changes`` (column -> value; ``steps`` already validated)."""
    workflow_id = parse_id(workflow_id)
    allowed = ("name", "description", "steps", "is_active", "flow_control")
    sets, params = ["updated_at = now()"], []
    for column in allowed:
        if column in changes:
            is_json = column in ("steps", "flow_control")
            sets.append(f"{column} = %s::jsonb" if is_json else f"{column} = %s")
            value = changes[column]
            params.append(_json(value) if is_json else value)
    with get_database().transaction() as tx:
        row = tx.one(
            f"UPDATE workflows SET {', '.join(sets)} WHERE id = %s AND user_id = %s "
            f"RETURNING {COLUMNS}",
            (*params, workflow_id, user_id),
        )
    if row is None:
        raise NotFound("workflow not found")
    return row


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def delete(user_id: str, workflow_id: str) -> None:
    workflow_id = parse_id(workflow_id)
    with get_database().transaction() as tx:
        if not tx.execute(
            "DELETE FROM workflows WHERE id = %s AND user_id = %s", (workflow_id, user_id)
        ):
            raise NotFound("workflow not found")
