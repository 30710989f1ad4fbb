"""The Pub/Sub adapter. ``google.cloud.pubsub_v1`` is imported only here, and only when
an event is first published: it costs most of a second at cold start.

One ``PublisherClient`` per instance, reused while warm. With ``PUBSUB_EMULATOR_HOST``
it talks plaintext gRPC to that address (the emulator, or the suite's in-process fake)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from concurrent import futures
from typing import Any

from shared import bootstrap
from shared.config import Settings, get_settings
from shared.errors import ConfigError
from shared.events.envelope import Envelope


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


def topic_path(settings: Settings) -> str:
    """``EVENTS_TOPIC`` as a full path; a bare name lives in the Pub/Sub project."""
    if settings.events_topic.startswith("projects/"):
        return settings.events_topic
    if not settings.pubsub_project:
        raise ConfigError("EVENTS_PROJECT: missing (the Pub/Sub project of EVENTS_TOPIC)")
    return f"projects/{settings.pubsub_project}/topics/{settings.events_topic}"


def check_topic(settings: Settings) -> str:
    """The topic's full path once Pub/Sub has answered that it exists (a ``GetTopic``,
    bounded by ``EVENT_PUBLISH_TIMEOUT_SECONDS``); raises ``ConfigError`` naming what is
    wrong: no project, no such topic, no permission, or Pub/Sub out of reach."""
    from google.api_core import exceptions as gexc

    path = topic_path(settings)
    try:
        publisher().get_topic(
            topic=path, timeout=settings.event_publish_timeout_seconds, retry=None
        )
    except gexc.GoogleAPIError as exc:
        raise ConfigError(f"{path}: {type(exc).__name__}: {getattr(exc, 'message', exc)}") from exc
    return path


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


class PubSubBus:
    """Publishes all messages first, then waits on their futures together, so a batch
    costs one round of the client's batching instead of one per message."""

    def publish(self, envelopes: Sequence[Envelope]) -> list[BaseException | None]:
        settings = get_settings()
        deadline = settings.event_publish_timeout_seconds
        client, topic, retry = publisher(), topic_path(settings), _retry(deadline)
        pending: list[Any] = []
        for envelope in envelopes:
            try:
                pending.append(
                    client.publish(
                        topic,
                        envelope.data(),
                        retry=retry,
                        timeout=deadline,
                        **envelope.attributes(),
                    )
                )
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
