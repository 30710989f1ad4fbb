"""Deliveries while a fire's workflow is still running: a duplicate of the same slot
answers at once and runs nothing; another slot is skipped under the default overlap
policy. The workflow is held inside a real http step until the test releases it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from shared import bootstrap
from shared.config import Settings
from shared.db import Database
from tests.conftest import test_settings
from tests.scheduler.conftest import deliver, make_workflow
from tests.scheduler.ticks import history, run_count


class Hold:
    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.port = 0


@pytest.fixture(scope="module")
def hold() -> Iterator[Hold]:
    state = Hold()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            state.arrived.set()
            state.release.wait(20)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.release.set()
    server.shutdown()


@pytest.fixture(scope="module")
def settings(db_url: str, hold: Hold) -> Settings:
    s = test_settings(db_url, HTTP_STEP_ALLOWLIST=f"127.0.0.1:{hold.port}")
    bootstrap.configure(s)
    return s


@pytest.fixture
def held_task(alice: Any, hold: Hold, fire: Any) -> Iterator[tuple[str, threading.Thread]]:
    """A task whose 09:00 fire is in progress (its workflow waits on the hold)."""
    hold.arrived.clear()
    hold.release.clear()
    step = {
        "id": "wait",
        "type": "http",
        "config": {"method": "GET", "url": f"http://127.0.0.1:{hold.port}/"},
    }
    wf = make_workflow("alice", [step])
    res = alice.post(
        "/api/scheduler/tasks",
        json={"name": "slow", "workflowId": wf, "cronExpression": "0 9 * * *"},
    )
    tid = str(res.get_json()["task"]["id"])
    client = fire.application.test_client()
    first = threading.Thread(target=deliver, args=(client, tid, "2026-11-27T09:00:00Z"))
    first.start()
    assert hold.arrived.wait(20), "the first fire never reached its workflow"
    yield tid, first
    hold.release.set()
    first.join(20)


def test_a_duplicate_during_the_run_answers_at_once_and_runs_nothing(
    held_task: tuple[str, threading.Thread], fire: Any, db: Database, hold: Hold
) -> None:
    tid, first = held_task
    res = deliver(fire, tid, "2026-11-27T09:00:00Z")
    assert res.status_code == 200 and res.get_json()["status"] == "duplicate"
    hold.release.set()
    first.join(20)
    assert run_count(db, tid) == 1
    assert [h["status"] for h in history(db, tid)] == ["fired"]


def test_the_next_slot_during_the_run_is_skipped(
    held_task: tuple[str, threading.Thread], fire: Any, db: Database, hold: Hold
) -> None:
    tid, first = held_task
    res = deliver(fire, tid, "2026-11-28T09:00:00Z")
    assert res.get_json()["status"] == "skipped"
    hold.release.set()
    first.join(20)
    assert run_count(db, tid) == 1
    assert [h["status"] for h in history(db, tid)] == ["fired", "skipped"]
