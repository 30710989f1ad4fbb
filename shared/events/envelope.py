"""The event envelope: what travels as a Pub/Sub message's data, and how a delivery is
decoded back into it.

One shape in both directions (docs/contract/deliveries.md): ``{"eventId", "eventType", "userId",
"payload", "depth", "chain", "occurredAt"}`` (``chain``: the ids of the workflows whose
runs led to the event, oldest first; absent is empty), with ``eventType`` and ``userId`` copied into the
message attributes so subscriptions can filter without decoding. A delivery that can
never become a valid envelope raises ``Unprocessable``: retrying it would fail the same
way, so it is acknowledged and recorded instead."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from shared import storable
from shared.events.outbox import EVENT_TYPE

MAX_USER_ID = 200
MAX_CHAIN = 200  # workflow ids; a chain grows by one per event depth (EVENT_MAX_DEPTH <= 100)


class Unprocessable(Exception):
    """A delivery that no retry can fix; ``body`` keeps what arrived for inspection."""

    def __init__(self, reason: str, *, body: str | None = None, delivery_id: str | None = None):
        super().__init__(reason)
        self.reason, self.body, self.delivery_id = reason, body, delivery_id


class Envelope(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    event_id: uuid.UUID = Field(alias="eventId")
    event_type: StrictStr = Field(alias="eventType", pattern=EVENT_TYPE.pattern, max_length=100)
    user_id: StrictStr = Field(alias="userId", min_length=1, max_length=MAX_USER_ID)
    payload: dict[str, Any] = Field(default_factory=dict)
    depth: StrictInt = Field(0, ge=0)
    chain: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_CHAIN)
    occurred_at: datetime | None = Field(None, alias="occurredAt")

    @field_validator("user_id", "payload")
    @classmethod
    def _storable(cls, value: Any, info: ValidationInfo) -> Any:
        found = storable.problem(value, storable.Bounds.of(), name=str(info.field_name))
        if found is not None:  # a ValueError, for pydantic to report it as this field's
            raise ValueError(found.message)
        return value

    def wire(self) -> dict[str, Any]:
        """The JSON object published as the message data."""
        return {
            "eventId": str(self.event_id),
            "eventType": self.event_type,
            "userId": self.user_id,
            "payload": self.payload,
            "depth": self.depth,
            "chain": [str(workflow_id) for workflow_id in self.chain],
            "occurredAt": self.occurred_at.isoformat() if self.occurred_at else None,
        }

    def data(self) -> bytes:
        text = json.dumps(self.wire(), default=str, ensure_ascii=False, separators=(",", ":"))
        return text.encode()

    def attributes(self) -> dict[str, str]:
        return {"eventType": self.event_type, "userId": self.user_id}


# the columns ``from_row`` reads; the payload as text, since the driver's own decoding
# of jsonb has no depth bound
ROW_COLUMNS = "id, user_id, event_type, event_data::text AS event_data, depth, chain, occurred_at"


def from_row(row: dict[str, Any]) -> Envelope:
    """The envelope of a row of ``usage_events``. ``event_data`` may be the column's
    text, read within the bounds here: a row stored before they held may be too deep
    for the driver to decode (``Unstorable``, or ``ValidationError`` for its contents)."""
    payload = row["event_data"]
    if isinstance(payload, str):
        payload = storable.loads(payload, storable.Bounds.of(), what="event_data")
    return Envelope.model_validate(
        {
            "eventId": row["id"],
            "eventType": row["event_type"],
            "userId": row["user_id"],
            "payload": payload if isinstance(payload, dict) else {},
            "depth": row["depth"],
            "chain": row.get("chain") or [],
            "occurredAt": row["occurred_at"],
        }
    )


def _first(message: dict[str, Any], *names: str) -> Any:
    return next((message[n] for n in names if message.get(n) is not None), None)


def decode_delivery(data: Any) -> tuple[Envelope, str | None]:
    """The envelope inside an Eventarc ``messagePublished`` CloudEvent's data, and the
    Pub/Sub message id. Accepts either field spelling (``messageId``/``message_id``,
    ``publishTime``/``publish_time``)."""
    bounds = storable.Bounds.of()
    if isinstance(data, bytes | str):
        try:
            data = storable.loads(data, bounds, what="CloudEvent data")
        except storable.Unstorable as exc:
            raise Unprocessable(exc.message, body=_text(data)) from None
        except ValueError:
            raise Unprocessable("CloudEvent data is not JSON", body=_text(data)) from None
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, dict):
        raise Unprocessable("CloudEvent data has no Pub/Sub message", body=_text(data))
    message_id = _first(message, "messageId", "message_id")
    message_id = str(message_id) if message_id is not None else None
    raw = message.get("data")
    if not isinstance(raw, str):
        raise Unprocessable("message has no data", body=_text(data), delivery_id=message_id)
    # the envelope is one object around the payload, which may nest as deep as the bound
    enveloped = replace(bounds, max_depth=bounds.max_depth + 1)
    try:
        body = storable.loads(base64.b64decode(raw, validate=True), enveloped, what="message data")
    except storable.Unstorable as exc:
        deep = exc.problem == storable.too_deep(enveloped)
        reason = f"payload {storable.too_deep(bounds)}" if deep else exc.message
        raise Unprocessable(reason, body=raw, delivery_id=message_id) from None
    except (binascii.Error, ValueError):
        raise Unprocessable(
            "message data is not base64-encoded JSON", body=raw, delivery_id=message_id
        ) from None
    if not isinstance(body, dict):
        raise Unprocessable(
            "envelope is not a JSON object", body=_text(body), delivery_id=message_id
        )
    if body.get("occurredAt") is None:
        body["occurredAt"] = _first(message, "publishTime", "publish_time")
    try:
        return Envelope.model_validate(body), message_id
    except ValidationError as exc:
        raise Unprocessable(
            f"invalid envelope: {problems(exc)}", body=_text(body), delivery_id=message_id
        ) from None


def problems(exc: ValidationError) -> str:
    """The first few problems of an envelope that does not validate, one line."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'envelope'}: {e['msg']}" for e in exc.errors()[:5]
    )


def _text(value: Any, limit: int = 10_000) -> str:
    """What arrived, as text to keep with the rejection: only its first ``limit``
    characters, so a delivery refused for its size is not stored whole."""
    text = value.decode(errors="replace") if isinstance(value, bytes) else value
    if not isinstance(text, str):  # parsed within the bounds (the body's, or the envelope's)
        text = json.dumps(text, default=str)
    return storable.scrub(text[:limit])
