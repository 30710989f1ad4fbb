"""Fuzzing what a payload may hold (deep nesting, huge strings, NUL, lone surrogates,
NaN) through event-dispatch and an API route that stores it: never a 5xx, and the relay
is never stuck: after everything the fuzzer sent, a plain event is still published."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from shared import bootstrap
from shared.config import Settings
from shared.db import Database
from shared.events import publish
from tests.conftest import UserClient
from tests.events.conftest import TOPIC, bus_settings, deliver, envelope_of
from tests.support.fake_pubsub import FakePubSub, Published

JSON_MAX_BYTES = 8 * 1024  # small, so that huge strings stay cheap to make
FUZZ = hsettings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def settings(db_url: str, fake_pubsub: FakePubSub) -> Settings:
    s = bus_settings(db_url, fake_pubsub, JSON_MAX_BYTES=JSON_MAX_BYTES, MAX_BODY_BYTES=32 * 1024)
    bootstrap.configure(s)
    return s


hostile_text = st.one_of(
    st.text(max_size=20),  # any code point: NUL and lone surrogates included
    st.sampled_from(["\x00", "a\ud800", "\udfff", "[[[{", '"\\']),
    st.integers(0, 3 * JSON_MAX_BYTES).map(lambda n: "x" * n),
)
leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), hostile_text)
values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
    max_leaves=20,
)


@st.composite
def payload_texts(draw: st.DrawFn) -> str:
    """A payload as JSON text: a fuzzed object, wrapped in objects up to far deeper
    than json.dumps could write."""
    inner = json.dumps({"v": draw(values)})
    depth = draw(st.sampled_from([0, 1, 60, 63, 64, 65, 200, 1_200, 20_000]))
    return '{"k":' * depth + inner + "}" * depth


def _delivery(payload: str) -> Published:
    head = {"eventId": str(uuid.uuid4()), "eventType": "post.fuzzed", "userId": "fuzz"}
    data = (json.dumps(head)[:-1] + f', "payload": {payload}}}').encode()
    return Published(TOPIC, data, {"eventType": "post.fuzzed"}, str(uuid.uuid4().int)[:12])


def test_event_dispatch_acknowledges_every_fuzzed_payload(dispatch_client: Any) -> None:
    @FUZZ
    @given(payload=payload_texts())
    def check(payload: str) -> None:
        assert deliver(dispatch_client, _delivery(payload)).status_code == 200

    check()


def test_event_dispatch_acknowledges_every_fuzzed_cloud_event_data(dispatch_client: Any) -> None:
    @FUZZ
    @given(data=values | payload_texts().map(lambda text: {"message": {"data": text}}))
    def check(data: Any) -> None:
        body = json.dumps(data) if not isinstance(data, str) else data
        res = dispatch_client.post(
            "/",
            data=body,
            headers={
                "ce-id": "fuzz",
                "ce-specversion": "1.0",
                "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
                "ce-source": "//pubsub.googleapis.com/x",
                "Content-Type": "application/json",
            },
        )
        assert res.status_code == 200

    check()


def test_no_fuzzed_event_body_is_a_5xx_and_the_relay_is_never_stuck(
    alice: UserClient, bob: UserClient, db: Database, published: FakePubSub
) -> None:
    @FUZZ
    @given(payload=payload_texts(), encoded=st.booleans())
    def check(payload: str, encoded: bool) -> None:
        raw = '{"eventType": "post.fuzzed", "payload": ' + payload + "}"
        body = base64.b64encode(raw.encode()) if encoded else raw.encode("utf-8", "surrogatepass")
        res = alice.post("/api/events", data=body, content_type="application/json")
        assert res.status_code < 500, res.get_json()

    check()
    publish.relay_pending()
    with db.transaction() as tx:
        stuck = tx.scalar(
            "SELECT count(*) FROM usage_events WHERE published_at IS NULL AND publish_error IS NULL"
        )
    assert stuck == 0
    published.publisher.take()
    event = bob.post("/api/events", json={"eventType": "post.plain", "payload": {"ok": True}})
    assert event.status_code == 202
    publish.relay_pending()
    sent = [envelope_of(m)["eventId"] for m in published.publisher.take()]
    assert event.get_json()["eventId"] in sent
