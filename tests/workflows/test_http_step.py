"""The http step against a real local server: it reaches an allow-listed loopback
port, and refuses loopback, link-local (the metadata server), private addresses and
redirects to them unless the allow-list names them."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from shared import bootstrap
from shared.config import Settings
from shared.workflows import http_step
from shared.workflows.errors import StepFailed
from tests.conftest import UserClient, test_settings
from tests.workflows.conftest import Endpoint


@pytest.fixture(scope="module")
def settings(db_url: str, endpoint: Endpoint) -> Settings:
    s = test_settings(
        db_url,
        HTTP_STEP_ALLOWLIST=f"127.0.0.1:{endpoint.port}",
        HTTP_STEP_MAX_RESPONSE_BYTES="2048",
    )
    bootstrap.configure(s)
    return s


def _call(settings: Settings, url: str, **kw: Any) -> dict[str, Any]:
    return http_step.call(
        settings, kw.pop("method", "POST"), url, kw.pop("headers", {}), kw.pop("body", None), **kw
    )


def test_an_allow_listed_loopback_port_is_reached_with_method_headers_and_json_body(
    settings: Settings, endpoint: Endpoint
) -> None:
    out = _call(settings, endpoint.url("/hook?x=1"), headers={"X-Token": "t"}, body={"a": [1]})
    assert out["status"] == 200
    seen = out["body"]
    assert seen["method"] == "POST" and seen["path"] == "/hook"
    assert seen["headers"]["x-token"] == "t"
    assert seen["headers"]["content-type"] == "application/json"
    assert seen["headers"]["host"] == f"127.0.0.1:{endpoint.port}"
    assert seen["body"] == '{"a": [1]}'


def test_a_string_body_is_sent_as_text(settings: Settings, endpoint: Endpoint) -> None:
    seen = _call(settings, endpoint.url("/t"), method="PUT", body="hello")["body"]
    assert seen["body"] == "hello" and seen["headers"]["content-type"].startswith("text/plain")


def test_loopback_is_refused_without_the_allow_list(db_url: str, endpoint: Endpoint) -> None:
    bare = test_settings(db_url)
    count = len(endpoint.received)
    with pytest.raises(StepFailed, match="a loopback address; name it in HTTP_STEP_ALLOWLIST"):
        _call(bare, endpoint.url("/x"))
    assert len(endpoint.received) == count


def test_another_loopback_port_than_the_allow_listed_one_is_refused(settings: Settings) -> None:
    with pytest.raises(StepFailed, match="loopback"):
        _call(settings, "http://127.0.0.1:1/")


def test_a_name_that_resolves_to_loopback_is_refused(db_url: str, endpoint: Endpoint) -> None:
    with pytest.raises(StepFailed, match=r"localhost resolves to .*loopback"):
        _call(test_settings(db_url), f"http://localhost:{endpoint.port}/")


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://169.254.169.254/computeMetadata/v1/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://10.1.2.3/", "private"),
        ("http://192.168.0.10:8080/", "private"),
        ("http://172.16.5.5/", "private"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://100.64.0.1/", "non-global"),
    ],
)
def test_non_global_addresses_are_refused(settings: Settings, url: str, kind: str) -> None:
    with pytest.raises(StepFailed, match=f"a {kind} address"):
        _call(settings, url)


def test_the_allow_list_can_name_a_host_without_a_port(db_url: str, endpoint: Endpoint) -> None:
    s = test_settings(db_url, HTTP_STEP_ALLOWLIST="localhost, 127.0.0.1")
    assert _call(s, f"http://localhost:{endpoint.port}/named")["status"] == 200


def test_a_redirect_to_the_metadata_server_is_refused(
    settings: Settings, endpoint: Endpoint
) -> None:
    target = "http://169.254.169.254/computeMetadata/v1/"
    with pytest.raises(StepFailed, match=r"169\.254\.169\.254 .*link-local"):
        _call(settings, endpoint.url(f"/redirect?to={target}"))


def test_a_redirect_to_a_port_that_is_not_allow_listed_is_refused(
    settings: Settings, endpoint: Endpoint
) -> None:
    with pytest.raises(StepFailed, match="loopback"):
        _call(settings, endpoint.url("/redirect?to=http://127.0.0.1:1/"))


def test_allowed_redirects_are_followed_and_303_becomes_get(
    settings: Settings, endpoint: Endpoint
) -> None:
    final = endpoint.url("/landed")
    out = _call(settings, endpoint.url(f"/redirect?code=303&to={final}"), body={"a": 1})
    assert out["body"]["method"] == "GET" and out["body"]["path"] == "/landed"
    kept = _call(settings, endpoint.url(f"/redirect?code=307&to={final}"), body={"a": 1})
    assert kept["body"]["method"] == "POST" and kept["body"]["body"] == '{"a": 1}'


def test_endless_redirects_stop(settings: Settings, endpoint: Endpoint) -> None:
    loop = endpoint.url("/redirect?to=/redirect%3Fto%3D/redirect%253Fto%253D/redirect")
    with pytest.raises(StepFailed, match="redirects"):
        _call(settings, endpoint.url(f"/redirect?to={loop}"))


def test_a_response_over_the_size_limit_fails(settings: Settings, endpoint: Endpoint) -> None:
    assert len(_call(settings, endpoint.url("/big?size=2000"), method="GET")["body"]) == 2000
    with pytest.raises(StepFailed, match="larger than 2048 bytes"):
        _call(settings, endpoint.url("/big?size=5000"), method="GET")


def test_a_call_that_outlives_its_timeout_fails(settings: Settings, endpoint: Endpoint) -> None:
    endpoint.release.clear()
    try:
        with pytest.raises(StepFailed, match=r"did not answer within 0\.2s"):
            _call(settings, endpoint.url("/hold"), method="GET", timeout=0.2)
    finally:
        endpoint.release.set()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/", "http or https"),
        ("http://user:pw@example.com/", "credentials"),
        ("http://", "no host"),
        ("http://name.invalid/", "cannot resolve"),
    ],
)
def test_malformed_urls_fail_the_step(settings: Settings, url: str, message: str) -> None:
    with pytest.raises(StepFailed, match=message):
        _call(settings, url)


def test_sensitive_headers_are_redacted_in_the_run_record(
    alice: UserClient, endpoint: Endpoint
) -> None:
    step = {
        "id": "call",
        "type": "http",
        "config": {
            "url": endpoint.url("/secret"),
            "headers": {"Authorization": "Bearer {{input.token}}", "X-Trace": "t"},
        },
    }
    wid = alice.post("/api/workflow", json={"name": "h", "steps": [step]}).get_json()["workflow"]
    res = alice.post(f"/api/workflow/{wid['id']}/run", json={"input": {"token": "s3cret"}})
    run = res.get_json()["run"]
    assert run["status"] == "succeeded"
    assert run["step_results"][0]["input"]["headers"] == {
        "Authorization": "[redacted]",
        "X-Trace": "t",
        "Idempotency-Key": f"{run['id']}:call",
    }
    assert endpoint.received[-1]["headers"]["authorization"] == "Bearer s3cret"


def test_a_refused_address_fails_the_run_with_the_reason(alice: UserClient) -> None:
    step = {"id": "meta", "type": "http", "config": {"url": "http://169.254.169.254/"}}
    wid = alice.post("/api/workflow", json={"name": "m", "steps": [step]}).get_json()["workflow"]
    run = alice.post(f"/api/workflow/{wid['id']}/run", json={}).get_json()["run"]
    assert run["status"] == "failed"
    assert "link-local address" in run["error"]


def test_allow_list_entries_parse_hosts_ports_and_ipv6() -> None:
    entries = http_step.parse_allowlist(" 127.0.0.1:8080, hooks.internal ,[::1]:9000,::1,")
    assert [(e.host, e.port) for e in entries] == [
        ("127.0.0.1", 8080),
        ("hooks.internal", None),
        ("::1", 9000),
        ("::1", None),
    ]


@pytest.mark.parametrize("bad", ["host:abc", "a b", "[::1]:x", "host:1:2"])
def test_a_malformed_allow_list_is_refused_at_start_up(db_url: str, bad: str) -> None:
    with pytest.raises(ValidationError, match="is not host, host:port"):
        test_settings(db_url, HTTP_STEP_ALLOWLIST=f"127.0.0.1:80,{bad}")
