"""JSON schemas of the workflow routes' responses, for the OpenAPI document."""

from __future__ import annotations

from typing import Any

from shared.workflows.runs import STATUSES
from shared.workflows.step_types import NAMES as STEP_TYPES

Schema = dict[str, Any]

_TIME = {"type": "string", "format": "date-time"}
_UUID = {"type": "string", "format": "uuid"}

STEP_RESULT: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "type": {"type": "string", "enum": list(STEP_TYPES)},
        "status": {
            "type": "string",
            "enum": ["succeeded", "failed", "skipped", "waiting"],
            "description": "waiting: for its next attempt or its wake time (a sleeping "
            "run), or for an event (a waiting run; see waitingFor)",
        },
        "input": {},
        "output": {},
        "error": {"type": ["string", "null"]},
        "reason": {"type": "string", "description": "why a skipped step did not run"},
        "matched": {"type": "boolean", "description": "condition steps: whether it held"},
        "startedAt": _TIME,
        "durationMs": {"type": "number"},
        "attempts": {
            "type": "array",
            "description": "every attempt of a step attempted more than once, the last last",
            "items": {
                "type": "object",
                "properties": {
                    "startedAt": _TIME,
                    "error": {"type": ["string", "null"]},
                    "durationMs": {"type": "number"},
                },
            },
        },
        "nextAttemptAt": {**_TIME, "description": "when a waiting step is attempted again"},
        "members": {
            "type": "array",
            "description": "swarm steps: each member's progress, as it stands",
            "items": {
                "type": "object",
                "properties": {
                    "index": {"type": "integer"},
                    "agentId": {"type": "string"},
                    "action": {"type": "string"},
                    "status": {
                        "type": "string",
                        "enum": ["queued", "running", "succeeded", "failed", "timed_out"],
                    },
                    "attempts": {"type": "integer"},
                    "error": {"type": ["string", "null"]},
                    "durationMs": {"type": ["number", "null"]},
                },
                "required": ["index", "agentId", "status", "attempts"],
            },
        },
        "waitingForSlot": {
            "type": "object",
            "description": "agent steps: the agent whose pool was full, while the step "
            "waits for a slot (woken when one frees; nextAttemptAt is the latest it looks again)",
            "properties": {"agentId": {"type": "string"}},
            "required": ["agentId"],
        },
        "waitingFor": {
            "type": "object",
            "description": "what a waitForEvent step waits for, while it waits",
            "properties": {
                "eventType": {"type": "string"},
                "conditions": {"type": "object", "description": "as rendered when it began"},
                "timeoutAt": {**_TIME, "description": "when it times out (at most a minute later)"},
            },
            "required": ["eventType", "conditions", "timeoutAt"],
        },
    },
    "required": ["id", "status"],
}

RUN: Schema = {
    "type": "object",
    "properties": {
        "id": _UUID,
        "workflow_id": _UUID,
        "user_id": {"type": "string"},
        "trigger_type": {"type": "string", "enum": ["manual", "scheduled", "event", "webhook"]},
        "trigger_data": {"type": "object"},
        "input": {"type": "object"},
        "status": {"type": "string", "enum": list(STATUSES)},
        "step_results": {"type": "array", "items": STEP_RESULT},
        "error": {"type": ["string", "null"]},
        "idempotency_key": {"type": ["string", "null"]},
        "started_at": _TIME,
        "finished_at": {"type": ["string", "null"], "format": "date-time"},
        "wake_at": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "when a sleeping run is woken (at most a minute later)",
        },
    },
    "required": ["id", "workflow_id", "status", "step_results"],
}

WORKFLOW: Schema = {
    "type": "object",
    "properties": {
        "id": _UUID,
        "user_id": {"type": "string"},
        "name": {"type": "string"},
        "description": {"type": ["string", "null"]},
        "steps": {"type": "array", "items": {"type": "object"}},
        "is_active": {"type": "boolean"},
        "flow_control": {
            "type": ["object", "null"],
            "description": "concurrency, rateLimit, debounce, priority and their key",
        },
        "created_at": _TIME,
        "updated_at": _TIME,
        "runs": {"type": "array", "items": RUN, "description": "recent runs (single workflow)"},
        "webhooks": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"id": _UUID, "created_at": _TIME, "revoked_at": {}},
            },
            "description": "inbound webhooks (single workflow)",
        },
    },
    "required": ["id", "name", "steps", "is_active"],
}

RUN_PAGE: Schema = {
    "type": "object",
    "properties": {
        "runs": {"type": "array", "items": RUN},
        "next_cursor": {"type": ["string", "null"]},
    },
    "required": ["runs", "next_cursor"],
}

RUN_RESULT: Schema = {
    "type": "object",
    "properties": {"success": {"type": "boolean"}, "run": RUN},
    "required": ["success", "run"],
}

WEBHOOK_CREATED: Schema = {
    "type": "object",
    "properties": {
        "success": {"type": "boolean"},
        "webhook": {
            "type": "object",
            "properties": {
                "id": _UUID,
                "endpointKey": {"type": "string", "description": "shown once"},
                "url": {"type": "string"},
            },
            "required": ["id", "endpointKey", "url"],
        },
    },
    "required": ["success", "webhook"],
}


def envelope(name: str, item: Schema) -> Schema:
    return {
        "type": "object",
        "properties": {"success": {"type": "boolean"}, name: item},
        "required": ["success", name],
    }


def list_of(item: Schema) -> Schema:
    return {"type": "array", "items": item}
