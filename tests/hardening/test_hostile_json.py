"""Hostile JSON, each case once a 5xx or a stuck relay: payloads nested hundreds of
levels deep, CloudEvents past ``MAX_BODY_BYTES``, NUL, lone surrogates and NaN from an
http step or a model, bodies that are only form feeds. Every entry point answers 4xx
or acknowledges and records, nothing unstorable is stored, and rows stored before the
bounds held are set aside by the relay while every other event is still published."""

from __future__ import annotations

import base64
import io
import json
import uuid
from typing import Any

import grpc
import pytest

from shared import bootstrap
from shared.config import Settings
from shared.db import Database
from shared.events import publish
from shared.web.router import Route
from tests.conftest import UserClient
from tests.events.conftest import TOPIC, bus_settings, deliver, envelope_of
from tests.events.helpers import rejected
from tests.hardening.objects import any_url, body_routes, label
from tests.support.fake_gemini import FakeGemini
from tests.support.fake_pubsub import FakePubSub, Published
from tests.workflows.conftest import Endpoint

DEPTH = 64  # JSON_MAX_DEPTH's default
TOO_DEEP = f"nested deeper than {DEPTH} levels"


@pytest.fixture(scope="module")
def settings(db_url: str, fake_pubsub: FakePubSub) -> Settings:
    """Events go to the fake Pub/Sub; the http step may call this machine."""
    s = bus_settings(db_url, fake_pubsub, HTTP_STEP_ALLOWLIST="127.0.0.1")
    bootstrap.configure(s)
    return s


def nested_text(depth: int, leaf: str = "1") -> str:
    """JSON text nested ``depth`` objects deep, built as text: deeper than json.dumps goes."""
    return '{"k":' * depth + leaf + "}" * depth


def envelope_text(payload_text: str, event_id: str) -> bytes:
    head = {"eventId": event_id, "eventType": "post.hostile", "userId": "mallory", "depth": 0}
    return (json.dumps(head)[:-1] + f', "payload": {payload_text}}}').encode()


def event_rows(db: Database, event_id: str) -> int:
    with db.transaction() as tx:
        return int(tx.scalar("SELECT count(*) FROM usage_events WHERE id = %s", (event_id,)))


def new_rejections(db: Database, before: int) -> list[dict[str, Any]]:
    return rejected(db)[before:]


@pytest.mark.parametrize("depth", [300, 1_000, 100_000])
def test_an_event_payload_nested_too_deep_is_acknowledged_and_recorded(
    db: Database, dispatch_client: Any, depth: int
) -> None:
    event_id = str(uuid.uuid4())
    message = Published(
        TOPIC, envelope_text(nested_text(depth), event_id), {"eventType": "post.hostile"}, "7"
    )
    before = len(rejected(db))
    res = deliver(dispatch_client, message)
    assert res.status_code == 200
    [record] = new_rejections(db, before)
    assert record["source"] == "event-dispatch" and TOO_DEEP in record["reason"]
    assert record["delivery_id"] == "7"
    assert event_rows(db, event_id) == 0


def test_a_cloud_event_nested_too_deep_is_acknowledged_and_recorded(
    db: Database, dispatch_client: Any
) -> None:
    body = (
        '{"specversion": "1.0", "id": "deep-1", "source": "//pubsub.googleapis.com/x", '
        '"type": "google.cloud.pubsub.topic.v1.messagePublished", "data": '
        + "[" * 5_000
        + "]" * 5_000
        + "}"
    )
    before = len(rejected(db))
    res = dispatch_client.post(
        "/", data=body, headers={"Content-Type": "application/cloudevents+json"}
    )
    assert res.status_code == 200
    [record] = new_rejections(db, before)
    assert record["reason"] == f"CloudEvent is {TOO_DEEP} (JSON_MAX_DEPTH)"


def _big_delivery(event_id: str) -> tuple[dict[str, str], bytes]:
    """A 9.3 MB binary-mode CloudEvent whose envelope carries a 7 MB payload."""
    envelope = envelope_text(json.dumps({"blob": "a" * 7_000_000}), event_id)
    data = {"message": {"data": base64.b64encode(envelope).decode(), "messageId": "big"}}
    headers = {
        "ce-id": "big",
        "ce-specversion": "1.0",
        "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
        "ce-source": "//pubsub.googleapis.com/x",
        "Content-Type": "application/json",
    }
    body = json.dumps(data).encode()
    assert len(body) > 9_000_000
    return headers, body


def test_a_cloud_event_past_max_body_bytes_is_acknowledged_recorded_and_not_stored(
    db: Database, dispatch_client: Any, settings: Settings
) -> None:
    event_id = str(uuid.uuid4())
    headers, body = _big_delivery(event_id)
    before = len(rejected(db))
    assert dispatch_client.post("/", headers=headers, data=body).status_code == 200
    [record] = new_rejections(db, before)
    assert record["reason"] == f"request body larger than {settings.max_body_bytes} bytes"
    assert record["delivery_id"] == "big" and record["body"] is None
    assert event_rows(db, event_id) == 0


def test_a_chunked_cloud_event_past_max_body_bytes_is_refused_while_it_is_read(
    db: Database, dispatch_client: Any, settings: Settings
) -> None:
    """No Content-Length to check up front (a server that ends chunked bodies says so
    with ``wsgi.input_terminated``): the limit holds while the body is read."""
    event_id = str(uuid.uuid4())
    headers, body = _big_delivery(event_id)
    before = len(rejected(db))
    res = dispatch_client.post(
        "/",
        headers=headers,
        input_stream=io.BytesIO(body),
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert res.status_code == 200
    [record] = new_rejections(db, before)
    assert record["reason"] == f"request body larger than {settings.max_body_bytes} bytes"
    assert event_rows(db, event_id) == 0


def _stored_before_the_bounds(db: Database, depth: int) -> str:
    """A row as an http step's deep document once left it: written straight to the table."""
    with db.transaction() as tx:
        return str(
            tx.scalar(
                "INSERT INTO usage_events (user_id, event_type, event_data) "
                "VALUES ('old-rows', 'doc.fetched', %s::jsonb) RETURNING id",
                (nested_text(depth),),
            )
        )


def test_rows_stored_before_the_bounds_are_set_aside_and_every_other_event_is_published(
    db: Database, bob: UserClient, published: FakePubSub
) -> None:
    poisoned = [_stored_before_the_bounds(db, depth) for depth in (500, 5_000)]
    published.publisher.fail_code = grpc.StatusCode.UNAVAILABLE  # bob's wait for the relay
    mine = [
        bob.post("/api/events", json={"eventType": "post.fine", "payload": {"i": i}})
        for i in range(3)
    ]
    assert all(res.status_code == 202 for res in mine)
    published.publisher.fail_code = None

    assert publish.relay_pending() == 3
    sent = sorted(envelope_of(m)["eventId"] for m in published.publisher.take())
    assert sent == sorted(res.get_json()["eventId"] for res in mine)
    with db.transaction() as tx:
        aside = tx.all(
            "SELECT published_at, publish_attempts, publish_error FROM usage_events "
            "WHERE id = ANY(%s::uuid[])",
            (poisoned,),
        )
    assert [row["published_at"] for row in aside] == [None, None]
    assert all(TOO_DEEP in row["publish_error"] for row in aside)

    assert publish.relay_pending() == 0  # set aside: never claimed again
    with db.transaction() as tx:
        attempts = tx.all(
            "SELECT publish_attempts FROM usage_events WHERE id = ANY(%s::uuid[])", (poisoned,)
        )
    assert [row["publish_attempts"] for row in attempts] == [1, 1]
    assert published.publisher.take() == []


def _run(user: UserClient, steps: list[dict[str, Any]], run_input: Any = None) -> dict[str, Any]:
    res = user.post("/api/workflow", json={"name": "hostile", "steps": steps})
    assert res.status_code == 201, res.get_json()
    flow = res.get_json()["workflow"]["id"]
    res = user.post(f"/api/workflow/{flow}/run", json={"input": run_input or {}})
    assert res.status_code == 200, res.get_json()
    return dict(res.get_json()["run"])


def _emitted(db: Database, event_type: str) -> int:
    with db.transaction() as tx:
        return int(
            tx.scalar("SELECT count(*) FROM usage_events WHERE event_type = %s", (event_type,))
        )


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (nested_text(300), f"response body: is {TOO_DEEP}"),
        (nested_text(3_000), f"response body: is {TOO_DEEP}"),
        ('{"t": "a\\u0000b"}', "response body.t: contains a NUL character"),
        ('{"t": "\\ud800"}', "response body.t: contains a lone surrogate (\\ud800)"),
        ('{"n": NaN}', "response body.n: is not a finite number"),
    ],
    ids=["deep", "deeper-than-json-loads", "nul", "surrogate", "nan"],
)
def test_an_http_step_that_fetches_unstorable_json_fails_and_emits_nothing(
    alice: UserClient, db: Database, endpoint: Endpoint, body: str, says: str
) -> None:
    url = endpoint.serve(f"/hostile/{uuid.uuid4().hex}", body.encode())
    run = _run(
        alice,
        [
            {"id": "fetch", "type": "http", "config": {"method": "GET", "url": url}},
            {
                "id": "tell",
                "type": "emit",
                "config": {
                    "eventType": "doc.relayed",
                    "payload": {"doc": "{{steps.fetch.output.body}}"},
                },
            },
        ],
    )
    assert run["status"] == "failed"
    fetch = run["step_results"][0]
    assert fetch["status"] == "failed" and says in fetch["error"], fetch["error"]
    assert _emitted(db, "doc.relayed") == 0


def test_an_emit_step_whose_payload_renders_too_deep_fails_naming_the_payload(
    alice: UserClient, db: Database
) -> None:
    # {"input": {"doc": ...}} in the body: the document is as deep as the body allows
    document = json.loads(nested_text(DEPTH - 2))
    emit = {
        "id": "tell",
        "type": "emit",
        "config": {"eventType": "doc.wrapped", "payload": {"a": {"b": {"doc": "{{input.doc}}"}}}},
    }
    run = _run(alice, [emit], {"doc": document})
    assert run["status"] == "failed"
    error = run["step_results"][0]["error"]
    assert error.startswith("payload.a.b.doc.k") and TOO_DEEP in error, error
    assert _emitted(db, "doc.wrapped") == 0


def test_a_model_answer_holding_a_nul_fails_the_agent_step_saying_why(
    alice: UserClient, db: Database, fake_gemini: FakeGemini
) -> None:
    fake_gemini.configure()
    fake_gemini.script_json({"title": "t", "content": "a\u0000b", "notes": []})
    step = {
        "id": "write",
        "type": "agent",
        "agentId": "scribe_01",
        "action": "generate",
        "config": {"topic": "hostile answers"},
    }
    run = _run(alice, [step])
    assert run["status"] == "failed"
    error = run["step_results"][0]["error"]
    assert "answer.output.content: contains a NUL character" in error, error
    with db.transaction() as tx:
        kept = tx.scalar(
            "SELECT count(*) FROM episodic_memories WHERE user_id = 'alice' "
            "AND output_summary LIKE %s",
            ("%cannot be stored%",),
        )
    assert kept == 1  # the failure is remembered, the answer is not


NOT_JSON = [b"\f", b"\v", b" \f\n"]


@pytest.mark.parametrize("raw", NOT_JSON, ids=["form-feed", "vertical-tab", "mixed"])
@pytest.mark.parametrize("route", body_routes(), ids=label)
def test_a_body_of_only_non_json_white_space_is_400_on_every_body_route(
    route: Route, raw: bytes, alice: UserClient
) -> None:
    res = alice._call(route.method, any_url(route), data=raw, content_type="application/json")
    assert res.status_code == 400, (res.status_code, res.get_json())
    assert res.get_json()["error"] == "request body is not valid JSON"


def test_a_body_of_only_a_form_feed_is_400_on_the_inbound_webhook(
    alice: UserClient, api: Any
) -> None:
    flow = alice.post("/api/workflow", json={"name": "hooked", "steps": []}).get_json()
    hook = alice.post(f"/api/workflow/{flow['workflow']['id']}/webhook").get_json()["webhook"]
    res = api.post(
        f"/api/webhook/{hook['endpointKey']}", data=b"\f", content_type="application/json"
    )
    assert res.status_code == 400
    assert res.get_json()["error"] == "request body is not valid JSON"


@pytest.mark.parametrize("route", body_routes(), ids=label)
def test_a_body_nested_past_json_max_depth_is_400_on_every_body_route(
    route: Route, alice: UserClient
) -> None:
    raw = '{"x": ' + "[" * DEPTH + "]" * DEPTH + "}"
    res = alice._call(route.method, any_url(route), data=raw, content_type="application/json")
    assert res.status_code == 400, (res.status_code, res.get_json())
    assert res.get_json()["error"] == f"request body: is {TOO_DEEP} (JSON_MAX_DEPTH)"


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        ('{"t": "\\ud800"}', "body.payload.t: contains a lone surrogate (\\ud800)"),
        ('{"t": "\\udfff tail"}', "body.payload.t: contains a lone surrogate (\\udfff)"),
        ('{"n": Infinity}', "body.payload.n: is not a finite number"),
    ],
)
def test_an_event_the_api_cannot_store_is_422_naming_where(
    alice: UserClient, db: Database, payload: str, says: str
) -> None:
    raw = '{"eventType": "post.refused", "payload": ' + payload + "}"
    res = alice.post("/api/events", data=raw, content_type="application/json")
    assert res.status_code == 422
    assert res.get_json()["error"].startswith(says)
    assert _emitted(db, "post.refused") == 0
