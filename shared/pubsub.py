"""The Pub/Sub adapter. ``google.cloud.pubsub_v1`` is imported only here, and only when
a message is first published: it costs most of a second at cold start.

One ``PublisherClient`` per instance, reused while warm, for every topic the bundle
publishes to (events, run hand-offs). With ``PUBSUB_EMULATOR_HOST`` it talks plaintext
gRPC to that address (the emulator, or the suite's in-process fake)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from concurrent import futures
from typing import Any

from shared import bootstrap
from shared.config import Settings, get_settings
from shared.errors import ConfigError

# one message: its data and its attributes
Message = tuple[bytes, dict[str, str]]


@bootstrap.on_configure
@functools.cache
def publisher() -> Any:
    import google.cloud.pubsub_v1 as pubsub_v1

    host = get_settings().pubsub_emulator_host
    if host:
        import grpc
        from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport

        transport = PublisherGrpcTransport(channel=grpc.insecure_channel(host))
        return pubsub_v1.PublisherClient(transport=transport)
    return pubsub_v1.PublisherClient()


def topic_path(settings: Settings, name: str, setting: str) -> str:
    """A topic as a full path; a bare name lives in the Pub/Sub project. ``setting``
    names the variable it came from, for the error."""
    if name.startswith("projects/"):
        return name
    if not settings.pubsub_project:
        raise ConfigError(f"EVENTS_PROJECT: missing (the Pub/Sub project of {setting})")
    return f"projects/{settings.pubsub_project}/topics/{name}"


def _retry(deadline: float) -> Any:
    from google.api_core import exceptions as gexc
    from google.api_core.retry import Retry, if_exception_type

    transient = if_exception_type(
        gexc.Aborted,
        gexc.Cancelled,
        gexc.DeadlineExceeded,
        gexc.InternalServerError,
        gexc.ResourceExhausted,
        gexc.ServiceUnavailable,
        gexc.Unknown,
    )
    return Retry(predicate=transient, initial=0.1, maximum=2.0, timeout=deadline)


def publish(topic: str, messages: Sequence[Message]) -> list[BaseException | None]:
    """Publish every message to ``topic`` (a full path); one result per message,
    ``None`` when it was accepted. All are sent first, then their futures are awaited
    together, so a batch costs one round of the client's batching instead of one per
    message."""
    deadline = get_settings().event_publish_timeout_seconds
    client, retry = publisher(), _retry(deadline)
    pending: list[Any] = []
    for data, attributes in messages:
        try:
            pending.append(client.publish(topic, data, retry=retry, timeout=deadline, **attributes))
        except Exception as exc:  # a message the client refused (size, closed client)
            pending.append(exc)
    in_flight = [f for f in pending if isinstance(f, futures.Future)]
    futures.wait(in_flight, timeout=deadline + 5)
    results: list[BaseException | None] = []
    for item in pending:
        if isinstance(item, BaseException):
            results.append(item)
        elif not item.done():
            results.append(TimeoutError("publish did not complete in time"))
        else:
            results.append(item.exception())
    return results
