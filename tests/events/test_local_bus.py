"""The local bus under the one-process server: an event published through the API
reaches /event-dispatch over HTTP as the CloudEvent Eventarc would deliver, and runs
the user's matching workflow once."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from shared import bootstrap
from shared.config import Settings
from shared.events.bus import get_bus
from shared.local.bus import LocalBus
from shared.local.server import build_wsgi
from tests.conftest import UserClient, test_settings
from tests.events.helpers import make_trigger, make_workflow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def settings(db_url: str) -> Settings:
    s = test_settings(db_url, EVENT_BUS="local", PORT=free_port())
    bootstrap.configure(s)
    return s


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[str]:
    srv = make_server("127.0.0.1", settings.port, build_wsgi(), threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{settings.port}"
    srv.shutdown()


def test_a_published_event_reaches_dispatch_through_the_local_server_and_runs_once(
    server: str, alice: UserClient, bob: UserClient
) -> None:
    mine, theirs = make_workflow(alice), make_workflow(bob)
    make_trigger(alice, "local.posted", mine)
    make_trigger(bob, "local.posted", theirs)

    res = alice.post("/api/events", json={"eventType": "local.posted", "payload": {"a": 1}})
    assert res.status_code == 202
    bus = get_bus()
    assert isinstance(bus, LocalBus)
    bus.join()

    [event] = alice.get("/api/events/log?eventType=local.posted").get_json()
    assert event["id"] == res.get_json()["eventId"]
    assert event["dispatch_status"] == "dispatched"
    assert [r["workflow_id"] for r in event["runs"]] == [mine]
    assert bob.get("/api/events/log").get_json() == []


def test_the_local_shape_uses_the_local_bus_when_no_pubsub_is_configured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from shared.local.env import local_settings

    for name in ("EVENT_BUS", "EVENTS_PROJECT", "PUBSUB_EMULATOR_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SEGP_HOME", str(tmp_path))
    local, _ = local_settings(start_database=False)
    assert local.bus_mode == "local"
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", "127.0.0.1:8085")
    emulated, _ = local_settings(start_database=False)
    assert emulated.bus_mode == "pubsub"
