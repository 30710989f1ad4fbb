"""An in-process gRPC server speaking the Pub/Sub Publisher API, for the real
google-cloud-pubsub client to publish to (``PUBSUB_EMULATOR_HOST``). It records every
published message and can be told to fail publishes with a gRPC status, or to lose
messages: acknowledge them and drop them, as a message lost between Pub/Sub and its
subscriber looks to the publisher."""

from __future__ import annotations

import itertools
import threading
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.pubsub_v1 import types as T


@dataclass
class Published:
    topic: str
    data: bytes
    attributes: dict[str, str]
    message_id: str


@dataclass
class FakePublisher:
    messages: list[Published] = field(default_factory=list)
    fail_code: grpc.StatusCode | None = None
    lose: int = 0  # the next this many messages are acknowledged and never delivered
    lost: list[Published] = field(default_factory=list)
    topics: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Any = field(default_factory=lambda: itertools.count(1000))

    def publish(
        self, request: T.PublishRequest, context: grpc.ServicerContext
    ) -> T.PublishResponse:
        if self.fail_code is not None:
            context.abort(self.fail_code, "publishing is failing on purpose")
        if self.topics and request.topic not in self.topics:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Topic not found: {request.topic}")
        ids = []
        with self._lock:
            for message in request.messages:
                message_id = str(next(self._ids))
                published = Published(
                    request.topic, bytes(message.data), dict(message.attributes), message_id
                )
                if self.lose > 0:
                    self.lose -= 1
                    self.lost.append(published)
                else:
                    self.messages.append(published)
                ids.append(message_id)
        return T.PublishResponse(message_ids=ids)

    def get_topic(self, request: T.GetTopicRequest, context: grpc.ServicerContext) -> T.Topic:
        if self.fail_code is not None:
            context.abort(self.fail_code, "Pub/Sub is failing on purpose")
        if self.topics and request.topic not in self.topics:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Topic not found: {request.topic}")
        return T.Topic(name=request.topic)

    def take(self) -> list[Published]:
        """The messages published since the last take."""
        with self._lock:
            taken, self.messages[:] = list(self.messages), []
        return taken


class FakePubSub:
    def __init__(self) -> None:
        self.publisher = FakePublisher()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        handler = grpc.method_handlers_generic_handler(
            "google.pubsub.v1.Publisher",
            {
                "Publish": grpc.unary_unary_rpc_method_handler(
                    self.publisher.publish,
                    request_deserializer=T.PublishRequest.deserialize,
                    response_serializer=T.PublishResponse.serialize,
                ),
                "GetTopic": grpc.unary_unary_rpc_method_handler(
                    self.publisher.get_topic,
                    request_deserializer=T.GetTopicRequest.deserialize,
                    response_serializer=T.Topic.serialize,
                ),
            },
        )
        self.server.add_generic_rpc_handlers((handler,))
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.stop(grace=None)
