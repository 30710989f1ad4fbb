"""The local bus: stands in for Pub/Sub + Eventarc under ``segp serve``.

A published event is handed to a background thread, which POSTs it to the local
``/event-dispatch`` as the CloudEvent Eventarc would deliver for a Pub/Sub message
(binary mode, type ``google.cloud.pubsub.topic.v1.messagePublished``, both field
spellings in the message), so the same dispatch code runs locally. A run handed off
(``LocalRunQueue``) is posted the same way to ``/workflow-run`` by one of
``LOCAL_RUN_WORKERS`` threads, so runs execute side by side as on their own function
instances. Like Pub/Sub, it redelivers on a non-2xx answer, a few times with growing
pauses. Unlike Pub/Sub its queue lives in memory: an event accepted just before the
process stops is not delivered by it (it stays published but pending, and the
per-minute job dispatches it), and a run stays queued until the per-minute job starts it."""

from __future__ import annotations

import base64
import itertools
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from shared import clock, logs
from shared.config import get_settings
from shared.db import Row
from shared.events.envelope import Envelope
from shared.workflows.handoff import message

log = logs.get(__name__)

EVENT_TYPE = "google.cloud.pubsub.topic.v1.messagePublished"
ATTEMPTS = 5

_message_ids = itertools.count(int(time.time() * 1000))


def message_event(data: bytes, attributes: dict[str, str], topic: str, subscription: str) -> Any:
    """The Eventarc CloudEvent for one published message."""
    from cloudevents.http import CloudEvent

    message_id = str(next(_message_ids))
    now = clock.now().isoformat().replace("+00:00", "Z")
    body = {
        "data": base64.b64encode(data).decode(),
        "attributes": attributes,
        "messageId": message_id,
        "message_id": message_id,
        "publishTime": now,
        "publish_time": now,
    }
    ce = {
        "id": message_id,
        "type": EVENT_TYPE,
        "source": f"//pubsub.googleapis.com/{topic}",
        "specversion": "1.0",
        "datacontenttype": "application/json",
        "time": now,
    }
    return CloudEvent(ce, {"message": body, "subscription": subscription})


# one queued delivery: the message's data and attributes, and what the log names it by
_Item = tuple[bytes, dict[str, str], dict[str, str]]


class _Push:
    """A push subscription in memory: ``workers`` threads post each message to ``url``."""

    def __init__(self, path: str, topic: str, workers: int) -> None:
        settings = get_settings()
        self.url = f"http://127.0.0.1:{settings.port}{path}"
        self.topic = f"projects/local/topics/{topic}"
        self.subscription = f"projects/local/subscriptions/{topic}{path.replace('/', '-')}"
        self._queue: queue.Queue[_Item] = queue.Queue()
        for n in range(workers):
            name = f"segp-local-bus{path.replace('/', '-')}-{n}"
            threading.Thread(target=self._run, name=name, daemon=True).start()

    def put(self, item: _Item) -> None:
        self._queue.put(item)

    def join(self) -> None:
        """Wait until every accepted message was delivered or given up."""
        self._queue.join()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                self._deliver(*item)
            except Exception:
                log.exception("local bus: delivery failed", extra=item[2])
            finally:
                self._queue.task_done()

    def _deliver(self, data: bytes, attributes: dict[str, str], names: dict[str, str]) -> None:
        from cloudevents.conversion import to_binary

        event = message_event(data, attributes, self.topic, self.subscription)
        headers, body = to_binary(event)
        for attempt in range(1, ATTEMPTS + 1):
            request = urllib.request.Request(  # noqa: S310 (the local function URL)
                self.url, data=body, headers=headers, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
                    if 200 <= response.status < 300:
                        return
            except (urllib.error.URLError, OSError) as exc:
                log.warning(
                    "local bus: delivery attempt failed",
                    extra={**names, "attempt": attempt, "error": str(exc)},
                )
            time.sleep(min(0.2 * 2**attempt, 5.0))
        log.error("local bus: message not delivered", extra=names)


class LocalBus:
    def __init__(self) -> None:
        self._push = _Push("/event-dispatch", get_settings().events_topic, workers=1)

    def publish(self, envelopes: Sequence[Envelope]) -> list[BaseException | None]:
        for envelope in envelopes:
            self._push.put((envelope.data(), envelope.attributes(), _names(envelope)))
        return [None] * len(envelopes)

    def join(self) -> None:
        """Wait until every accepted event was delivered or given up."""
        self._push.join()


class LocalRunQueue:
    def __init__(self) -> None:
        settings = get_settings()
        topic = settings.runs_topic or "segp-runs"
        self._push = _Push("/workflow-run", topic, workers=settings.local_run_workers)

    def hand_off(self, runs: Sequence[Row]) -> list[BaseException | None]:
        for run in runs:
            data, attributes = message(run)
            self._push.put((data, attributes, {"runId": attributes["runId"]}))
        return [None] * len(runs)

    def join(self) -> None:
        """Wait until every run handed off was delivered or given up."""
        self._push.join()


def _names(envelope: Envelope) -> dict[str, str]:
    return {"eventId": str(envelope.event_id)}
