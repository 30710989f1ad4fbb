"""Handing a claimed run to its own execution, so one slow run never delays another:
in Google Cloud one Pub/Sub message per run on ``RUNS_TOPIC``, pushed to the private
``workflow-run`` function; under ``segp serve`` the local bus posts the same delivery
to the local ``/workflow-run``. Without either, the claimer executes the run itself.

A message names the run and its user (``{"runId", "userId"}``), and for one member of
a swarm step also the step and the member (``"stepId"``, ``"member"``). Delivery is at least
once and nothing depends on it: a run whose hand-off was lost stays ``queued`` and the
per-minute job starts it once its ``start_by`` passed (``engine.start_queued``)."""

from __future__ import annotations

import base64
import binascii
import functools
import json
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared import bootstrap
from shared.config import get_settings
from shared.db import Row


class RunQueue(Protocol):
    def hand_off(self, runs: Sequence[Row]) -> list[BaseException | None]:
        """Send every run to its execution; one result per run, ``None`` when accepted."""
        ...


class RunMessage(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    run_id: uuid.UUID = Field(alias="runId")
    user_id: str = Field(alias="userId", min_length=1, max_length=200)
    # a swarm member of the run: its step and place (``shared.swarm.member``)
    step_id: str | None = Field(None, alias="stepId", min_length=1, max_length=64)
    member: int | None = Field(None, ge=0)


class Unprocessable(Exception):
    """A delivery no retry can fix: acknowledged and recorded."""

    def __init__(self, reason: str, body: str | None) -> None:
        super().__init__(reason)
        self.reason, self.body = reason, body


def message(run: Row) -> tuple[bytes, dict[str, str]]:
    """The Pub/Sub message of one run (or of one swarm member of it, when the row
    names its ``step_id`` and ``member``): its data and attributes."""
    ids = {"runId": str(run["id"]), "userId": str(run["user_id"])}
    if run.get("member") is not None:
        ids |= {"stepId": str(run["step_id"]), "member": str(run["member"])}
    return json.dumps(ids).encode(), ids


def decode(data: Any) -> tuple[RunMessage, str | None]:
    """The run named by a ``messagePublished`` CloudEvent's data, and the message id."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    try:
        data = json.loads(text) if isinstance(text, str) else data
    except ValueError:
        raise Unprocessable("CloudEvent data is not JSON", str(text)[:10_000]) from None
    found = data.get("message") if isinstance(data, dict) else None
    if not isinstance(found, dict) or not isinstance(found.get("data"), str):
        raise Unprocessable("CloudEvent data has no Pub/Sub message data", str(data)[:10_000])
    message_id = found.get("messageId") or found.get("message_id")
    try:
        decoded = base64.b64decode(found["data"], validate=True)
        return RunMessage.model_validate_json(decoded), message_id
    except (binascii.Error, ValueError, ValidationError):
        raise Unprocessable(
            'message data is not {"runId": "<uuid>", "userId": "<user>"}', found["data"][:10_000]
        ) from None


class PubSubRunQueue:
    def hand_off(self, runs: Sequence[Row]) -> list[BaseException | None]:
        from shared import pubsub

        settings = get_settings()
        assert settings.runs_topic is not None
        topic = pubsub.topic_path(settings, settings.runs_topic, "RUNS_TOPIC")
        return pubsub.publish(topic, [message(run) for run in runs])


@bootstrap.on_configure
@functools.cache
def get_run_queue() -> RunQueue | None:
    """The instance's hand-off, or ``None`` when the claimer executes its runs."""
    mode = get_settings().run_handoff
    if mode == "pubsub":
        return PubSubRunQueue()
    if mode == "local":
        from shared.local.bus import LocalRunQueue

        return LocalRunQueue()
    return None
