"""Recording an event in the same transaction as the change that caused it.

``record`` writes the event to ``usage_events`` (the event log, which is also the
outbox of events not yet published). Publishing happens after commit, so a crash
between commit and publish loses nothing: unpublished rows are relayed later.

A payload is recorded only if it can be delivered: within ``JSON_MAX_DEPTH``, storable
(``shared.storable``), and small enough that its CloudEvent (the envelope in base64
inside Eventarc's JSON) fits event-dispatch's ``MAX_BODY_BYTES``. Anything else is
refused with ``Unstorable`` before it is written, so the relay never meets it."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from typing import Any

from shared import storable
from shared.config import get_settings
from shared.db import Tx
from shared.errors import Invalid

EVENT_TYPE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")

SYSTEM_EVENTS = (
    "content.generated",
    "content.published",
    "video.completed",
    "goal.created",
    "goal.completed",
    "feedback.received",
    "memory.stored",
    "agent.error",
    "soul.updated",
    "swarm.decided",
)

# what a CloudEvent carries beside the payload: the envelope's other fields, and the
# Pub/Sub message and CloudEvent attributes around it (eventType and userId twice)
DELIVERY_OVERHEAD = 2048

# Called after commit with the ids recorded in that transaction; the publisher
# installs itself here when the event bus is wired (see shared.events.publish).
after_commit_hooks: list[Callable[[list[str]], None]] = []


# The workflows whose runs led to what this thread records now (see ``caused_by``).
_chain: ContextVar[tuple[str, ...]] = ContextVar("event_chain", default=())


@contextmanager
def caused_by(chain: Sequence[str]) -> Iterator[None]:
    """Events recorded inside the block without a ``chain`` of their own carry this
    one: how a run's agent step passes its causation to the events that the memory,
    the Evolver and the agent itself record on its behalf."""
    token = _chain.set(tuple(chain))
    try:
        yield
    finally:
        _chain.reset(token)


def check_type(event_type: str) -> str:
    if not isinstance(event_type, str) or len(event_type) > 100 or not EVENT_TYPE.match(event_type):
        raise Invalid("eventType must look like 'name.action' ([a-z0-9_] parts joined by dots)")
    return event_type


def payload_bounds() -> storable.Bounds:
    """The bounds of a payload: ``JSON_MAX_*``, and no larger than fits, in base64,
    in a CloudEvent of ``MAX_BODY_BYTES``."""
    settings = get_settings()
    bounds = storable.Bounds.of(settings)
    deliverable = max(0, settings.max_body_bytes * 3 // 4 - DELIVERY_OVERHEAD)
    return replace(bounds, max_bytes=min(bounds.max_bytes, deliverable))


def record(
    tx: Tx,
    user_id: str,
    event_type: str,
    payload: dict[str, Any] | None = None,
    *,
    depth: int = 0,
    event_id: str | None = None,
    chain: Sequence[str] | None = None,
) -> str:
    """Write one event to the outbox inside ``tx`` and return its id; ``Unstorable``
    (422, 413 for size) naming the part of the payload that cannot be delivered. A
    caller that may run again for the same effect (a resumed workflow step) passes a
    stable ``event_id``: recording it a second time records nothing and returns it.
    ``chain`` names the workflows whose runs led to the event (``caused_by``'s when
    not given): dispatch does not run a workflow already in it."""
    event_id = event_id or str(uuid.uuid4())
    data = storable.dumps(payload or {}, payload_bounds(), name="payload")
    causes = json.dumps(list(_chain.get() if chain is None else chain))
    inserted = tx.execute(
        "INSERT INTO usage_events (id, user_id, event_type, event_data, depth, chain) "
        "VALUES (%s, %s, %s, %s::jsonb, %s, %s::jsonb) ON CONFLICT (id) DO NOTHING",
        (event_id, user_id, check_type(event_type), data, depth, causes),
    )
    if not inserted:
        return event_id
    if "events" not in tx.state:
        recorded: list[str] = []
        tx.state["events"] = recorded
        tx.after_commit.append(lambda: _committed(recorded))
    tx.state["events"].append(event_id)
    return event_id


def _committed(event_ids: list[str]) -> None:
    for hook in after_commit_hooks:
        hook(list(event_ids))
