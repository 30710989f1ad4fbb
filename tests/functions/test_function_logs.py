"""What a deployed function writes to stdout, run as Cloud Functions runs it: its own
functions-framework process, gunicorn in front, only environment variables to go on.
Each line is JSON; LOG_LEVEL applies; a line written for a request carries its id and
its trace as Cloud Logging links them; expected situations are never an ERROR."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from shared.db import Database
from shared.events import outbox
from shared.logs import SPAN_FIELD, TRACE_FIELD
from tests.conftest import JWT_SECRET, auth
from tests.support.function_process import FunctionProcess, Output

PROJECT = "segp-logs-test"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{SPAN_ID}-01"


def function_env(db_url: str, **overrides: str) -> dict[str, str]:
    return {
        "DATABASE_URL": db_url,
        "JWT_SECRET": JWT_SECRET,
        "LOG_LEVEL": "INFO",
        "GOOGLE_CLOUD_PROJECT": PROJECT,
        "EVENT_BUS": "off",
        "MODEL_PROVIDER": "offline",
        **overrides,
    }


def assert_no_error(output: Output) -> None:
    """Nothing logged as a bug: no ERROR line, no traceback on stdout or stderr."""
    assert [line for line in output.lines if line["severity"] in ("ERROR", "CRITICAL")] == []
    assert [line for line in output.lines if "exception" in line] == []
    assert "Traceback" not in output.stderr and "Traceback" not in output.stdout


@pytest.fixture
def api(db_url: str) -> Iterator[FunctionProcess]:
    proc = FunctionProcess("api", function_env(db_url))
    yield proc
    proc.stop()


def test_a_request_logs_info_with_its_request_id_and_trace(api: FunctionProcess) -> None:
    rid = f"req-{uuid.uuid4().hex}"
    headers = {**auth("alice"), "X-Request-Id": rid, "traceparent": TRACEPARENT}
    status, _ = api.request("GET", "/api/workflows", headers=headers)
    assert status == 200
    [line] = api.stop().of_request(rid)
    assert line["severity"] == "INFO"
    assert line["message"] == "GET /api/workflows answered 200"
    assert line[TRACE_FIELD] == f"projects/{PROJECT}/traces/{TRACE_ID}"
    assert line[SPAN_FIELD] == SPAN_ID
    assert line["logging.googleapis.com/trace_sampled"] is True


def test_log_level_warning_keeps_warnings_and_drops_info(db_url: str) -> None:
    down = "postgresql://postgres@127.0.0.1:1/segp"  # nothing listens: every query is a 503
    proc = FunctionProcess("api", function_env(down, LOG_LEVEL="WARNING"))
    rid = f"req-{uuid.uuid4().hex}"
    status, _ = proc.request("GET", "/api/workflows", headers={**auth("a"), "X-Request-Id": rid})
    assert status == 503
    lines = proc.stop().of_request(rid)
    assert [line["severity"] for line in lines] == ["WARNING"]
    assert lines[0]["message"].startswith("request failed: ")


def cloud_event_post(proc: FunctionProcess, envelope: dict[str, Any], message_id: str) -> int:
    """POST one Pub/Sub message to event-dispatch as Eventarc does (binary mode)."""
    data = base64.b64encode(json.dumps(envelope).encode()).decode()
    body = {"message": {"data": data, "messageId": message_id}, "subscription": "s"}
    headers = {
        "ce-id": message_id,
        "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
        "ce-source": "//pubsub.googleapis.com/projects/p/topics/t",
        "ce-specversion": "1.0",
        "Content-Type": "application/json",
    }
    status, _ = proc.request("POST", "/", body=json.dumps(body).encode(), headers=headers)
    return status


def test_duplicate_held_and_unprocessable_deliveries_log_no_error(
    db_url: str, db: Database
) -> None:
    with db.transaction() as tx:  # an event another delivery is dispatching right now
        held = outbox.record(tx, "alice", "post.held", {})
        tx.execute(
            "UPDATE usage_events SET dispatch_status = 'dispatching', "
            "dispatch_lease_until = now() + interval '1 hour' WHERE id = %s",
            (held,),
        )
    once = {"eventId": str(uuid.uuid4()), "eventType": "post.logged", "userId": "alice"}
    proc = FunctionProcess("event_dispatch", function_env(db_url))
    assert cloud_event_post(proc, once, "m-1") == 200
    assert cloud_event_post(proc, once, "m-2") == 200  # the duplicate
    assert cloud_event_post(proc, {**once, "eventId": held, "eventType": "post.held"}, "m-3") == 200
    assert cloud_event_post(proc, {"not": "an envelope"}, "m-4") == 200  # recorded, acked
    output = proc.stop()
    assert_no_error(output)
    by_id = {rid: [line["message"] for line in output.of_request(rid)] for rid in ("m-2", "m-3")}
    assert by_id["m-2"] == ["event not dispatched: duplicate"]
    assert by_id["m-3"] == ["event not dispatched: in_progress"]  # the holder finishes it
    assert [line["severity"] for line in output.of_request("m-4")] == ["WARNING"]


def test_a_rejected_body_and_an_oversized_header_log_no_error(api: FunctionProcess) -> None:
    rid = f"req-{uuid.uuid4().hex}"
    headers = {**auth("alice"), "X-Request-Id": rid, "Content-Type": "application/json"}
    status, _ = api.request("POST", "/api/workflow", body=b'{"name": 5}', headers=headers)
    assert status == 422
    huge = {"Authorization": "Bearer " + "a" * 1_000_000}
    assert api.request("GET", "/api/workflows", headers=huge)[0] == 431
    output = api.stop()
    assert_no_error(output)
    assert [line["severity"] for line in output.of_request(rid)] == ["INFO"]
