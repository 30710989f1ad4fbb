"""The JSON log line and the trace of a request: what Cloud Logging reads from each
line, taken from the request's W3C ``traceparent`` or Google's
``X-Cloud-Trace-Context``; malformed headers are ignored, and no id outlives its request."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from shared import bootstrap, logs
from shared.config import Settings
from shared.logs import SPAN_FIELD, TRACE_FIELD, Trace, parse_trace
from tests.conftest import auth, function_client, test_settings

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_traceparent_gives_trace_span_and_sampling() -> None:
    header = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
    assert parse_trace({"traceparent": header}) == Trace(TRACE_ID, "00f067aa0ba902b7", True)
    unsampled = f"00-{TRACE_ID}-00f067aa0ba902b7-00"
    assert parse_trace({"traceparent": unsampled}) == Trace(TRACE_ID, "00f067aa0ba902b7", False)


def test_a_later_traceparent_version_may_carry_more_fields() -> None:
    header = f"01-{TRACE_ID}-00f067aa0ba902b7-01-future"
    assert parse_trace({"traceparent": header}) == Trace(TRACE_ID, "00f067aa0ba902b7", True)


def test_x_cloud_trace_context_span_is_decimal_and_logged_as_16_hex_digits() -> None:
    header = f"{TRACE_ID.upper()}/74;o=1"
    assert parse_trace({"X-Cloud-Trace-Context": header}) == Trace(
        TRACE_ID, "000000000000004a", True
    )
    assert parse_trace({"X-Cloud-Trace-Context": TRACE_ID}) == Trace(TRACE_ID)


def test_traceparent_is_preferred_over_x_cloud_trace_context() -> None:
    other = "0af7651916cd43dd8448eb211c80319c"
    headers = {
        "traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01",
        "X-Cloud-Trace-Context": f"{other}/1;o=1",
    }
    assert parse_trace(headers) == Trace(TRACE_ID, "00f067aa0ba902b7", True)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"traceparent": "garbage"},
        {"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7"},  # no flags
        {"traceparent": f"ff-{TRACE_ID}-00f067aa0ba902b7-01"},  # the invalid version
        {"traceparent": f"00-{'0' * 32}-00f067aa0ba902b7-01"},  # all-zero trace id
        {"traceparent": f"00-{TRACE_ID}-{'0' * 16}-01"},  # all-zero span id
        {"traceparent": f"00-{TRACE_ID.upper()}-00f067aa0ba902b7-01"},  # upper case
        {"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01-extra"},  # extra on version 00
        {"X-Cloud-Trace-Context": "not-a-trace/1;o=1"},
        {"X-Cloud-Trace-Context": f"{TRACE_ID}/12a;o=1"},
        {"X-Cloud-Trace-Context": f"{'0' * 32}/1;o=1"},
    ],
)
def test_a_malformed_trace_header_is_ignored(headers: dict[str, str]) -> None:
    assert parse_trace(headers) is None


def test_a_span_id_past_64_bits_is_dropped_and_the_trace_kept() -> None:
    header = f"{TRACE_ID}/{2**64};o=1"
    assert parse_trace({"X-Cloud-Trace-Context": header}) == Trace(TRACE_ID, None, True)


def formatted(headers: dict[str, str], project: str | None) -> dict[str, Any]:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "hello", None, None)
    with logs.request_scope(headers, project):
        return dict(json.loads(logs.JsonFormatter().format(record)))


def test_without_a_project_the_trace_field_is_left_out() -> None:
    line = formatted({"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"}, None)
    assert TRACE_FIELD not in line and SPAN_FIELD not in line
    assert line["requestId"]


@pytest.mark.parametrize("given", ["", "a b", "x" * 129, "<script>"])
def test_an_unusable_request_id_header_is_replaced_by_a_fresh_id(given: str) -> None:
    line = formatted({"X-Request-Id": given}, "p")
    assert line["requestId"] != given and len(line["requestId"]) == 32


@pytest.fixture(scope="module")
def traced_settings(db_url: str) -> Settings:
    s = test_settings(db_url, GOOGLE_CLOUD_PROJECT="segp-test")
    bootstrap.configure(s)
    return s


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_ids_and_trace_never_outlive_their_request(
    traced_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.setup("INFO")
    client = function_client("api")
    traced = {**auth("alice"), "X-Request-Id": "first", "X-Cloud-Trace-Context": f"{TRACE_ID}/1"}
    assert client.get("/api/workflows", headers=traced).status_code == 200
    assert logs.current_request_id() is None  # the test client ran it on this thread
    second = client.get("/api/workflows", headers=auth("alice"))
    lines = [line for line in json_lines(capsys.readouterr().out) if "answered" in line["message"]]
    first_line, second_line = lines
    assert first_line["requestId"] == "first"
    assert first_line[TRACE_FIELD] == f"projects/segp-test/traces/{TRACE_ID}"
    assert second_line["requestId"] == second.headers["X-Request-Id"] != "first"
    assert TRACE_FIELD not in second_line
