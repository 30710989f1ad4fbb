"""The local bus: stands in for Pub/Sub + Eventarc under ``segp serve``.

A published event is handed to a background thread, which POSTs it to the local
``/event-dispatch`` as the CloudEvent Eventarc would deliver for a Pub/Sub message
(binary mode, type ``google.cloud.pubsub.topic.v1.messagePublished``, both field
spellings in the message), so the same dispatch code runs locally. Like Pub/Sub, it
redelivers on a non-2xx answer, a few times with growing pauses. Unlike Pub/Sub its
queue lives in memory: an event accepted just before the process stops is not
delivered by it (it stays published but pending, and the per-minute job dispatches it)."""

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
from shared.events.envelope import Envelope

log = logs.get(__name__)

EVENT_TYPE = "google.cloud.pubsub.topic.v1.messagePublished"
ATTEMPTS = 5

_message_ids = itertools.count(int(time.time() * 1000))


def message_event(envelope: Envelope, topic: str, subscription: str) -> Any:
    """The Eventarc CloudEvent for one published envelope."""
    from cloudevents.http import CloudEvent

    message_id = str(next(_message_ids))
    now = clock.now().isoformat().replace("+00:00", "Z")
    message = {
        "data": base64.b64encode(envelope.data()).decode(),
        "attributes": envelope.attributes(),
        "messageId": message_id,
        "message_id": message_id,
        "publishTime": now,
        "publish_time": now,
    }
    attributes = {
        "id": message_id,
        "type": EVENT_TYPE,
        "source": f"//pubsub.googleapis.com/{topic}",
        "specversion": "1.0",
        "datacontenttype": "application/json",
        "time": now,
    }
    return CloudEvent(attributes, {"message": message, "subscription": subscription})


class LocalBus:
    def __init__(self, url: str | None = None) -> None:
        settings = get_settings()
        self.url = url or f"http://127.0.0.1:{settings.port}/event-dispatch"
        self.topic = f"projects/local/topics/{settings.events_topic}"
        self.subscription = f"projects/local/subscriptions/{settings.events_topic}-dispatch"
        self._queue: queue.Queue[Envelope] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="segp-local-bus", daemon=True)
        self._thread.start()

    def publish(self, envelopes: Sequence[Envelope]) -> list[BaseException | None]:
        for envelope in envelopes:
            self._queue.put(envelope)
        return [None] * len(envelopes)

    def join(self) -> None:
        """Wait until every accepted event was delivered or given up."""
        self._queue.join()

    def _run(self) -> None:
        while True:
            envelope = self._queue.get()
            try:
                self._deliver(envelope)
            except Exception:
                log.exception(
                    "local bus: delivery failed", extra={"eventId": str(envelope.event_id)}
                )
            finally:
                self._queue.task_done()

    def _deliver(self, envelope: Envelope) -> None:
        from cloudevents.conversion import to_binary

        headers, body = to_binary(message_event(envelope, self.topic, self.subscription))
        for attempt in range(1, ATTEMPTS + 1):
            request = urllib.request.Request(  # noqa: S310 (the local dispatch URL)
                self.url, data=body, headers=headers, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
                    if 200 <= response.status < 300:
                        return
            except (urllib.error.URLError, OSError) as exc:
                log.warning(
                    "local bus: delivery attempt failed",
                    extra={
                        "eventId": str(envelope.event_id),
                        "attempt": attempt,
                        "error": str(exc),
                    },
                )
            time.sleep(min(0.2 * 2**attempt, 5.0))
        log.error("local bus: event not delivered", extra={"eventId": str(envelope.event_id)})
